"""Score reports: score a person from their linked accounts and keep the result as history.

Each scoring stores a new report and makes it the person's one current report in the same
transaction, under a lock on the person, so concurrent scorings of one person cannot leave two
current reports. A report records its model version and input hash, so it can be replayed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date

from domain import change_events
from domain.clock import Clock, utc_now
from domain.models import (
    AccountKind,
    Grade,
    LinkedAccount,
    LinkStatus,
    Person,
    ReportStatus,
    ScoreReport,
)
from domain.rights_models import Dispute, DisputeStatus
from domain.scoring_model import ScoringModel
from scoring_engine.features import features_of
from scoring_engine.improvements import Improvement as Improvement
from scoring_engine.improvements import improvements
from scoring_engine.model import LoadedModel
from scoring_engine.reason_codes import CATALOGUE
from scoring_engine.records import ApplicantData, EcommerceRecord, SocialRecord
from scoring_engine.report import ScoreResult, score
from storage.transactions import writing


def applicant_data(accounts: Iterable[LinkedAccount], as_of: date) -> ApplicantData:
    """The scoring input: one record per kind from the LINKED accounts, the most recently
    synced winning if a person somehow holds two of a kind. Data an upheld dispute excluded
    (domain.disputes) is left out."""
    social: SocialRecord | None = None
    ecommerce: EcommerceRecord | None = None
    usable = (
        a
        for a in accounts
        if a.status is LinkStatus.LINKED and a.normalised_record and not a.scoring_excluded_by
    )
    ordered = sorted(
        usable,
        key=lambda a: a.last_synced_at or a.created_at,
        reverse=True,
    )
    for account in ordered:
        record = account.normalised_record
        assert record is not None  # noqa: S101 - filtered above
        if account.kind is AccountKind.SOCIAL and social is None:
            social = SocialRecord.from_mapping(record)
        elif account.kind is AccountKind.ECOMMERCE and ecommerce is None:
            ecommerce = EcommerceRecord.from_mapping(record)
    return ApplicantData(social=social, ecommerce=ecommerce, as_of=as_of)


def report_of(person_id: uuid.UUID, result: ScoreResult, *, disputed: bool) -> ScoreReport:
    """The person's new current report from a scoring result, not yet saved; `disputed` when
    the person has an open dispute (domain.disputes)."""
    return ScoreReport(
        person_id=person_id,
        status=ReportStatus(result.status.value),
        grade=Grade(result.grade) if result.grade else None,
        score=result.score,
        default_probability=result.default_probability,
        reason_codes=[r.to_mapping() for r in result.reasons],
        data_sources=list(result.data_sources),
        model_version=result.model_version,
        input_hash=result.input_hash,
        computed_at=result.computed_at,
        is_current=True,
        disputed=disputed,
    )


async def rescore(person_id: uuid.UUID, model: LoadedModel, clock: Clock = utc_now) -> ScoreReport:
    """Score the person from what is linked now and make that the current report."""
    now = clock()
    async with writing() as connection:
        # Serialises scorings of one person (PostgreSQL; SQLite serialises writers anyway).
        await Person.select_for_update().using_db(connection).get(id=person_id)
        accounts = await LinkedAccount.filter(
            person_id=person_id, status=LinkStatus.LINKED
        ).using_db(connection)
        result = score(model, applicant_data(accounts, now.date()), computed_at=now)
        await (
            ScoreReport.filter(person_id=person_id, is_current=True)
            .using_db(connection)
            .update(is_current=False)
        )
        disputed = await (
            Dispute.filter(person_id=person_id, status=DisputeStatus.OPEN)
            .using_db(connection)
            .exists()
        )
        report = report_of(person_id, result, disputed=disputed)
        await report.save(using_db=connection)
        await change_events.report_updated(person_id, report.id, now, connection)
        return report


def stored_text_zh_hant(reason: Mapping[str, str]) -> str | None:
    """A stored reason's Traditional Chinese text. Reports stored before it was kept hold only
    English and Simplified Chinese; a published code keeps its meaning, so the catalogue's
    text is the one such a report would have stored. None for a code outside the catalogue
    (a model trained on a table) stored without it."""
    text = reason.get("text_zh_hant")
    if text is None and reason["code"] in CATALOGUE:
        return CATALOGUE[reason["code"]].text_zh_hant
    return text


async def current_report(person_id: uuid.UUID) -> ScoreReport | None:
    return await ScoreReport.get_or_none(person_id=person_id, is_current=True)


async def improvements_of(person_id: uuid.UUID, scoring: ScoringModel) -> list[Improvement]:
    """What would raise the person's current score, from the champion scorecard and the data
    the report was computed from; none without a graded report."""
    report = await current_report(person_id)
    if report is None or report.status is not ReportStatus.READY:
        return []
    model = await scoring.get()
    accounts = await LinkedAccount.filter(person_id=person_id, status=LinkStatus.LINKED)
    data = applicant_data(accounts, report.computed_at.date())
    return improvements(model.scorecard, features_of(data))
