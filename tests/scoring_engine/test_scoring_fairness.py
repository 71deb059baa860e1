"""The fairness report: protected columns stay out of the model, and approval rates, adverse
impact ratios (four-fifths rule), AUC and calibration are reported per group."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import orjson
import pytest

from scoring_engine.fairness import fairness_report
from scoring_engine.model import LoadedModel
from scoring_engine.registry import list_versions
from scoring_engine.scaling import GradeCutoffs
from scoring_engine.version_files import VERSIONS
from scoring_tables import write_loans
from server.model_commands import EXIT_OK, register, train_command


def test_the_report_of_a_small_table_worked_by_hand() -> None:
    # Default cut-offs: A below 2%, B below 5%, C below 10%.
    labels = ["x", "x", "x", "x", "y", "y", "y", "y"]
    pd = np.array([0.01, 0.03, 0.06, 0.20, 0.01, 0.01, 0.03, 0.08])
    bad = np.array([False, False, True, True, False, True, False, False])
    report = fairness_report("group", labels, bad, pd, GradeCutoffs())
    x, y = report.groups
    assert (x.group, x.count, y.group, y.count) == ("x", 4, "y", 4)
    assert x.approval_rate == (0.25, 0.5, 0.75)
    assert y.approval_rate == (0.5, 0.75, 1.0)
    assert x.impact_ratio == pytest.approx((0.5, 2 / 3, 0.75))
    assert y.impact_ratio == (1.0, 1.0, 1.0)
    assert x.auc == 1.0
    assert y.auc == pytest.approx(0.5 / 3)  # the bad ties one good and ranks below two
    assert (x.observed_default_rate, y.observed_default_rate) == (0.5, 0.25)
    assert x.mean_predicted_pd == pytest.approx(0.075)
    assert report.warnings == (
        "group=x: approving grades up to A, its approval rate 25.0% is 0.50 of the best "
        "group's, below the four-fifths rule (0.8)",
        "group=x: approving grades up to B, its approval rate 50.0% is 0.67 of the best "
        "group's, below the four-fifths rule (0.8)",
        "group=x: approving grades up to C, its approval rate 75.0% is 0.75 of the best "
        "group's, below the four-fifths rule (0.8)",
    )


def test_no_warning_when_every_ratio_reaches_four_fifths() -> None:
    labels = ["x"] * 5 + ["y"] * 5
    pd = np.array([0.01] * 4 + [0.2] + [0.01] * 5)  # x approved 80% of y's rate at every cut
    bad = np.array([False, False, False, True, True] * 2)
    report = fairness_report("group", labels, bad, pd, GradeCutoffs())
    assert report.groups[0].impact_ratio == pytest.approx((0.8, 0.8, 0.8))
    assert report.warnings == ()


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scorelink")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_training_with_a_protected_column_reports_the_known_disparity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "models"
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(root))
    data = tmp_path / "loans.csv"
    # Younger applicants earn less, and income drives default: their approval rate is far
    # below the others' although age is never a model input.
    write_loans(data, rows=1_000)
    args = _parse(
        "model", "train", "--data", str(data), "--target", "status", "--bad", "bad",
        "--protected", "age_band",
    )  # fmt: skip
    assert train_command(args) == EXIT_OK
    out = capsys.readouterr().out
    assert "fairness by age_band (not a model input" in out
    assert "warning: age_band=18-29: approving grades up to B" in out

    [version] = list_versions(root)
    folder = root / VERSIONS / version.version
    model = orjson.loads((folder / "model.json").read_bytes())
    assert "age_band" not in model["features"]
    assert model["features"] == ["income", "utilisation", "region"]
    [report] = orjson.loads((folder / "metrics.json").read_bytes())["fairness"]
    groups = {g["group"]: g for g in report["groups"]}
    assert set(groups) == {"18-29", "30-49", "50+"}
    assert sum(g["count"] for g in groups.values()) == 1_000
    young, oldest = groups["18-29"], groups["50+"]
    assert young["observed_default_rate"] > 2 * oldest["observed_default_rate"]
    assert max(young["impact_ratio"]) < 0.8
    assert oldest["impact_ratio"] == [1.0, 1.0, 1.0]
    assert all(0.5 < g["auc"] < 1.0 for g in groups.values())
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    section = card.split("## Fairness report")[1].split("## Fairness statement")[0]
    assert "### `age_band` (never a model input)" in section
    assert "| 18-29 | 277 |" in section
    assert "- warning: age_band=18-29" in section


def test_the_default_model_reports_the_synthetic_age_band(
    model_root: Path, default_model: LoadedModel
) -> None:
    metrics = orjson.loads(
        (model_root / VERSIONS / default_model.version / "metrics.json").read_bytes()
    )
    [report] = metrics["fairness"]
    assert report["column"] == "age_band"
    assert "age_band" not in default_model.config.features
    groups = {g["group"]: g for g in report["groups"]}
    assert set(groups) == {"18-29", "30-44", "45+"}
    # Documented in scoring_engine/synthetic.py: the young have shorter histories, so fewer
    # of them are approved; the report must say so.
    assert groups["18-29"]["impact_ratio"][1] < 0.8
    assert any(w.startswith("age_band=18-29") for w in report["warnings"])
