"""The `scorelink model` handlers, called as the main parser would call them."""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from scoring_engine.features import FEATURE_NAMES, feature_matrix
from scoring_engine.model import LoadedModel
from scoring_engine.registry import list_versions
from scoring_engine.synthetic import generate
from server.model_commands import (
    EXIT_BAD_INPUT,
    EXIT_FLAGGED,
    EXIT_OK,
    evaluate_command,
    list_command,
    monitor_command,
    promote_command,
    register,
    train_command,
)


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scorelink")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.fixture
def shared_root(model_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(model_root))
    return model_root


def test_the_parser_dispatches_each_subcommand_to_its_handler() -> None:
    assert _parse("model", "list").func is list_command
    assert _parse("model", "promote", "v1").func is promote_command
    assert _parse("model", "monitor").func is monitor_command
    args = _parse("model", "train", "--seed", "7", "--promote")
    assert (args.func, args.seed, args.promote, args.data) == (train_command, 7, True, None)


def test_list_marks_the_promoted_version(
    shared_root: Path, default_model: LoadedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    assert list_command(_parse("model", "list")) == EXIT_OK
    assert f"* {default_model.version}" in capsys.readouterr().out


def test_promoting_an_unknown_version_is_one_clear_error_line(
    shared_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert promote_command(_parse("model", "promote", "../../etc")) == EXIT_BAD_INPUT
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "no model version '../../etc'" in error


def test_train_needs_data_target_and_bad_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(tmp_path))
    args = _parse("model", "train", "--data", str(tmp_path / "x.csv"))
    assert train_command(args) == EXIT_BAD_INPUT
    assert "go together" in capsys.readouterr().err
    assert not (tmp_path / "versions").exists()


def test_train_on_a_missing_file_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(tmp_path))
    args = _parse("model", "train", "--data", "nope.csv", "--target", "y", "--bad", "1")
    assert train_command(args) == EXIT_BAD_INPUT
    assert "no such file" in capsys.readouterr().err


def _feature_csv(path: Path, seed: int) -> None:
    population = generate(3_000, seed)
    scorable = population.take(population.sufficient)
    x = feature_matrix(scorable.batch)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*FEATURE_NAMES, "defaulted"])
        for row, bad in zip(x.tolist(), scorable.defaulted.tolist(), strict=True):
            writer.writerow([*("" if v != v else v for v in row), int(bad)])


def test_evaluate_prints_both_models_on_a_labelled_csv(
    shared_root: Path,
    default_model: LoadedModel,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "recent.csv"
    _feature_csv(data, seed=55)
    args = _parse(
        "model",
        "evaluate",
        default_model.version,
        "--data",
        str(data),
        "--target",
        "defaulted",
        "--bad",
        "1",
    )
    assert evaluate_command(args) == EXIT_OK
    out = capsys.readouterr().out
    assert "champion" in out
    assert "challenger" in out
    assert "calibration by grade" in out


def test_evaluate_reports_a_missing_column_as_bad_input(
    shared_root: Path,
    default_model: LoadedModel,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "thin.csv"
    data.write_text("social_linked,defaulted\n1,0\n0,1\n", encoding="utf-8")
    args = _parse(
        "model",
        "evaluate",
        default_model.version,
        "--data",
        str(data),
        "--target",
        "defaulted",
        "--bad",
        "1",
    )
    assert evaluate_command(args) == EXIT_BAD_INPUT
    assert "not in the file" in capsys.readouterr().err


def _scores_file(path: Path, model: LoadedModel, seed: int, riskiest_half: bool) -> None:
    population = generate(4_000, seed)
    x = feature_matrix(population.take(population.sufficient).batch)
    pd = model.predict(x).default_probability
    scores = model.config.scaling.score(pd)
    keep = scores < sorted(scores)[len(scores) // 2] if riskiest_half else scores > 0
    rows = [
        {
            "score": int(s),
            **{n: (None if v != v else v) for n, v in zip(FEATURE_NAMES, r, strict=True)},
        }
        for s, r, k in zip(scores.tolist(), x.tolist(), keep.tolist(), strict=True)
        if k
    ]
    path.write_bytes(orjson.dumps(rows))


def test_monitor_is_quiet_for_a_like_population_and_flags_a_shift(
    shared_root: Path,
    default_model: LoadedModel,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    like = tmp_path / "like.json"
    _scores_file(like, default_model, seed=61, riskiest_half=False)
    assert monitor_command(_parse("model", "monitor", "--scores-file", str(like))) == EXIT_OK
    assert "SHIFT" not in capsys.readouterr().out

    shifted = tmp_path / "shifted.json"
    _scores_file(shifted, default_model, seed=62, riskiest_half=True)
    args = _parse("model", "monitor", "--scores-file", str(shifted))
    assert monitor_command(args) == EXIT_FLAGGED
    assert "SHIFT" in capsys.readouterr().out


def test_monitor_rejects_a_file_without_scores(
    shared_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "scores.csv"
    data.write_text("grade\nA\n", encoding="utf-8")
    assert monitor_command(_parse("model", "monitor", "--scores-file", str(data))) == 2
    assert "needs a 'score'" in capsys.readouterr().err


def test_train_on_a_csv_prints_both_models_and_refuses_to_promote_a_table_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(tmp_path / "models"))
    data = tmp_path / "loans.csv"

    def write(bad: Callable[[int, int], bool]) -> None:
        rows = ["income,region,status"]
        for i in range(600):
            income = 1000 + 37 * i % 900
            region = "north" if i % 3 else "south"
            rows.append(f"{income},{region},{'bad' if bad(i, income) else 'ok'}")
        data.write_text("\n".join(rows) + "\n", encoding="utf-8")

    args = _parse("model", "train", "--data", str(data), "--target", "status", "--bad", "bad")
    write(lambda i, income: i % 7 == 0)  # outcome unrelated to every column
    assert train_command(args) == EXIT_BAD_INPUT
    assert "no feature separates goods from bads" in capsys.readouterr().err
    assert list_versions(tmp_path / "models") == []

    write(lambda i, income: income < 1300 and i % 2 == 0)
    assert train_command(args) == EXIT_OK
    out = capsys.readouterr().out
    assert "champion" in out
    assert "challenger" in out
    assert "calibration by grade" in out

    args.promote = True
    assert train_command(args) == EXIT_BAD_INPUT
    assert "cannot score linked accounts" in capsys.readouterr().err
