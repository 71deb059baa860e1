"""Per-market monitoring: drift and calibration of recent scores by the phone's country."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pytest

from scoring_engine.features import feature_matrix
from scoring_engine.markets import country_of_phone, monitor_markets
from scoring_engine.model import LoadedModel
from scoring_engine.monitoring import Stability
from scoring_engine.synthetic import generate
from server.model_commands import EXIT_FLAGGED, EXIT_OK, monitor_command, register


@pytest.mark.parametrize(
    ("phone", "country"),
    [
        ("+8613800000001", "CN"),
        ("+85291234567", "HK"),
        ("+85366123456", "MO"),
        ("+6591234567", "SG"),
        ("+628123456789", "ID"),
        ("13800000001", "unknown"),  # no country code: cannot tell
        ("not a number", "unknown"),
    ],
)
def test_the_country_is_the_phone_numbers_region(phone: str, country: str) -> None:
    assert country_of_phone(phone) == country


def _scores(model: LoadedModel, seed: int, people: int = 3_000) -> tuple[np.ndarray, np.ndarray]:
    population = generate(people, seed)
    scorable = population.take(population.sufficient)
    pd = model.predict(feature_matrix(scorable.batch)).default_probability
    return model.config.scaling.score(pd), scorable.defaulted


def test_a_market_that_drifted_or_defaults_more_than_predicted_is_flagged_alone(
    default_model: LoadedModel,
) -> None:
    cn, cn_bad = _scores(default_model, seed=71)
    hk, hk_bad = _scores(default_model, seed=72)
    mo, _ = _scores(default_model, seed=73)
    hk_riskiest = hk < np.median(hk)  # Hong Kong applicants drawn from the riskier half only
    mo_bad = np.arange(len(mo)) % 4 == 0  # Macau defaults at 25%, far above its scores' PD
    scores = np.concatenate([cn, hk[hk_riskiest], mo])
    countries = ["CN"] * len(cn) + ["HK"] * int(hk_riskiest.sum()) + ["MO"] * len(mo)
    defaulted = [*cn_bad.tolist(), *hk_bad[hk_riskiest].tolist(), *mo_bad.tolist()]
    lines = {
        line.country: line
        for line in monitor_markets(
            default_model.baseline, default_model.config.scaling, scores, countries, defaulted
        )
    }
    assert (lines["CN"].flag, lines["CN"].calibration_flag) == (Stability.STABLE, Stability.STABLE)
    assert lines["HK"].flag is Stability.SHIFT
    assert lines["MO"].flag is Stability.STABLE
    assert lines["MO"].calibration_flag is Stability.SHIFT
    assert lines["MO"].observed_default_rate == pytest.approx(mo_bad.mean())
    assert lines["CN"].population == len(cn)


def test_monitor_prints_each_market_from_phone_numbers_and_exits_1_on_a_shift(
    model_root: Path,
    default_model: LoadedModel,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(model_root))
    cn, cn_bad = _scores(default_model, seed=81)
    hk, _ = _scores(default_model, seed=82)
    data = tmp_path / "recent.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["score", "phone", "defaulted"])
        for score, bad in zip(cn.tolist(), cn_bad.tolist(), strict=True):
            writer.writerow([score, "+8613800000001", int(bad)])
        for score in hk[hk < np.median(hk)].tolist():
            writer.writerow([score, "+85291234567", ""])  # outcomes not known yet
    parser = argparse.ArgumentParser(prog="scorelink")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["model", "monitor", "--scores-file", str(data)])
    assert monitor_command(args) == EXIT_FLAGGED
    out = capsys.readouterr().out
    markets = out.split("by market (country of the phone number):")[1].splitlines()
    cn_line = next(line.split() for line in markets if line.startswith("CN "))
    hk_line = next(line.split() for line in markets if line.startswith("HK "))
    assert cn_line[3] == "STABLE"
    assert cn_line[-1] == "STABLE"
    assert hk_line[3] == "SHIFT"
    assert hk_line[-2:] == ["0", "-"]  # no outcomes: calibration not judged

    calm = tmp_path / "calm.csv"
    calm.write_text("score,country\n" + "".join(f"{s},CN\n" for s in cn.tolist()), encoding="utf-8")
    args = parser.parse_args(["model", "monitor", "--scores-file", str(calm)])
    assert monitor_command(args) == EXIT_OK


def test_a_defaulted_column_that_is_not_1_0_or_blank_is_bad_input(
    model_root: Path,
    default_model: LoadedModel,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(model_root))
    data = tmp_path / "recent.csv"
    data.write_text("score,country,defaulted\n600,HK,maybe\n", encoding="utf-8")
    parser = argparse.ArgumentParser(prog="scorelink")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["model", "monitor", "--scores-file", str(data)])
    assert monitor_command(args) == 2
    assert "defaulted must be 1, 0 or blank, not 'maybe'" in capsys.readouterr().err
