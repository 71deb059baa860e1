from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from scoring_engine.model import LoadedModel
from scoring_engine.records import ApplicantData, EcommerceRecord
from scoring_engine.report import ReportStatus, input_hash, score, score_batch
from scoring_engine.synthetic import PERSONAS, generate, persona, persona_sources

WHEN = datetime(2025, 1, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "grade"),
    [("grade_a", "A"), ("grade_b", "B"), ("grade_c", "C"), ("grade_d", "D")],
)
def test_each_grade_persona_gets_its_grade(
    default_model: LoadedModel, name: str, grade: str
) -> None:
    report = score(default_model, persona(name), computed_at=WHEN)
    assert report.status is ReportStatus.READY
    assert report.grade == grade
    assert report.reasons, "a graded report explains itself"


@pytest.mark.parametrize("name", ["thin_file", "empty"])
def test_thin_and_empty_personas_get_insufficient_data(
    default_model: LoadedModel, name: str
) -> None:
    report = score(default_model, persona(name), computed_at=WHEN)
    assert report.status is ReportStatus.INSUFFICIENT_DATA
    assert (report.grade, report.score, report.default_probability) == (None, None, None)
    assert report.model_version == default_model.version


def test_personas_keep_their_grade_when_scored_later(default_model: LoadedModel) -> None:
    later = date(2027, 6, 1)
    assert score(default_model, persona("grade_b", as_of=later)).grade == "B"


def test_persona_sources_are_provider_mappings_that_parse_back() -> None:
    for name in PERSONAS:
        data = persona(name)
        sources = persona_sources(name)
        assert tuple(sources) == data.data_sources
        if "ecommerce" in sources:
            assert EcommerceRecord.from_mapping(sources["ecommerce"]) == data.ecommerce


def test_the_same_person_and_version_always_get_the_same_report(
    default_model: LoadedModel,
) -> None:
    data = persona("grade_c")
    rebuilt = ApplicantData.from_mapping(data.to_mapping())
    assert score(default_model, data, computed_at=WHEN) == score(
        default_model, rebuilt, computed_at=WHEN
    )
    assert input_hash(data) == input_hash(rebuilt)


def test_the_input_hash_changes_with_any_input() -> None:
    data = persona("grade_c")
    other = ApplicantData(data.social, data.ecommerce, date(2025, 1, 2))
    assert input_hash(data) != input_hash(other)


def test_a_report_carries_version_sources_time_and_bilingual_reasons(
    default_model: LoadedModel,
) -> None:
    report = score(default_model, persona("grade_d"), clock=lambda: WHEN)
    assert report.computed_at == WHEN
    assert report.data_sources == ("ecommerce",)
    assert 300 <= (report.score or 0) <= 850
    assert 1 <= len(report.reasons) <= 4
    assert report.reasons[0].code == "R20"  # no social account linked costs the most
    assert report.reasons[0].text_zh == "未关联社交媒体账户"
    stored = report.to_mapping()
    assert stored["status"] == "READY"
    assert stored["computed_at"] == "2025-01-02T09:30:00+00:00"


def test_a_batch_gives_the_same_reports_as_one_at_a_time(default_model: LoadedModel) -> None:
    population = generate(300, seed=9)
    people = [population.applicant(i) for i in range(len(population))] + [persona("empty")]
    batch = score_batch(default_model, people, computed_at=WHEN)
    assert batch == [score(default_model, p, computed_at=WHEN) for p in people]
    assert batch[-1].status is ReportStatus.INSUFFICIENT_DATA


def test_a_batch_of_nobody_or_only_thin_files_needs_no_model_call(
    default_model: LoadedModel,
) -> None:
    assert score_batch(default_model, [], computed_at=WHEN) == []
    thin = score_batch(default_model, [persona("thin_file"), persona("empty")])
    assert [r.status for r in thin] == [ReportStatus.INSUFFICIENT_DATA] * 2


def test_serving_the_scorecard_never_imports_scikit_learn(model_root: Path) -> None:
    program = (
        "import sys\n"
        "from pathlib import Path\n"
        "from scoring_engine.registry import ensure_model\n"
        "from scoring_engine.report import score\n"
        "from scoring_engine.synthetic import persona\n"
        f"model = ensure_model(Path({str(model_root)!r}))\n"
        "assert model.config.serving == 'champion'\n"
        "score(model, persona('grade_a'))\n"
        "print(sorted(m for m in ('sklearn', 'skops', 'matplotlib') if m in sys.modules))\n"
    )
    run = subprocess.run(  # noqa: S603 - our own program, run by this interpreter
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    assert run.stdout.strip() == "[]"
