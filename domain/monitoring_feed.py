"""Recent reports as the monitoring check reads them: scores, their feature rows and each
person's market (the region of their phone number).

Feature rows are rebuilt from each person's linked accounts as they are now; a report whose
accounts changed since contributes today's characteristics, which is what drift monitoring
wants to see. Only the country leaves this module, never the number.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import numpy as np

from domain.clock import Clock, utc_now
from domain.models import LinkedAccount, LinkStatus, Person, ReportStatus, ScoreReport
from domain.reports import applicant_data
from scoring_engine.features import features_of
from scoring_engine.markets import country_of_phone
from scoring_engine.model import LoadedModel
from scoring_engine.tabular import RecentScores


async def recent_population(model: LoadedModel, days: int, clock: Clock = utc_now) -> RecentScores:
    """Scores of READY reports by this model in the last `days`, with one feature row and the
    person's country each."""
    now = clock()
    reports = await ScoreReport.filter(
        status=ReportStatus.READY,
        model_version=model.version,
        computed_at__gte=now - timedelta(days=days),
    ).order_by("computed_at")
    people = {report.person_id for report in reports}
    accounts: dict[object, list[LinkedAccount]] = defaultdict(list)
    for account in await LinkedAccount.filter(person_id__in=people, status=LinkStatus.LINKED):
        accounts[account.person_id].append(account)
    phones = dict(await Person.filter(id__in=people).values_list("id", "phone"))
    scores = np.array([report.score for report in reports], dtype=np.float64)
    rows = [features_of(applicant_data(accounts[r.person_id], now.date())) for r in reports]
    width = len(model.config.features)
    features = np.vstack(rows) if rows else np.empty((0, width))
    countries = tuple(country_of_phone(str(phones.get(r.person_id, ""))) for r in reports)
    return RecentScores(scores, features, countries)
