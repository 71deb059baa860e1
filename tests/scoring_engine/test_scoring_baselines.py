"""Every training report measures the champion and the challenger beside three baselines
(one-hot logistic regression, random forest, gradient boosting) on the same five folds."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import orjson
import pytest

from scoring_engine.metrics import auc
from scoring_engine.registry import list_versions
from scoring_engine.tabular import read_training_csv
from scoring_engine.training import train
from scoring_tables import write_loans
from server.model_commands import EXIT_OK, register, train_command

FIVE_MODELS = ("champion", "challenger", "logistic_one_hot", "random_forest", "gradient_boosting")
METRIC_HEADINGS = ("AUC", "KS", "Gini", "Brier", "log loss")


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scorelink")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_model_train_prints_all_five_models_on_the_same_folds_and_stores_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(tmp_path / "models"))
    data = tmp_path / "loans.csv"
    write_loans(data)
    args = _parse("model", "train", "--data", str(data), "--target", "status", "--bad", "bad")
    assert train_command(args) == EXIT_OK
    out = capsys.readouterr().out

    header = next(line for line in out.splitlines() if line.startswith("model "))
    assert header.split()[1:] == ["AUC", "KS", "Gini", "Brier", "log", "loss"]
    table = [line.split() for line in out.splitlines() if line.count("±") == 5]
    assert [row[0] for row in table] == list(FIVE_MODELS)
    for row in table:
        # Five "mean ± std" cells after the name.
        assert row[1:].count("±") == 5
    assert "the same folds for every model (200, 200, 200, 200, 200 rows)" in out

    [version] = list_versions(tmp_path / "models")
    folder = tmp_path / "models" / "versions" / version.version
    metrics = orjson.loads((folder / "metrics.json").read_bytes())
    assert sorted(metrics["models"]) == sorted(FIVE_MODELS)
    assert metrics["folds"]["rows_per_fold"] == [200] * 5
    for name in FIVE_MODELS:
        cv = metrics["models"][name]["cross_validation"]
        assert set(cv) == {"auc", "ks", "gini", "brier", "log_loss"}
        assert all(len(cv[m]["folds"]) == 5 for m in cv)
        assert cv["auc"]["std"] == pytest.approx(np.std(cv["auc"]["folds"], ddof=1))
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "| model | AUC | KS | Gini | Brier | log loss |" in card
    for name in FIVE_MODELS:
        assert f"| {name} | " in card


def test_every_model_is_measured_on_the_same_rows_in_the_same_fold(tmp_path: Path) -> None:
    data = tmp_path / "loans.csv"
    write_loans(data, rows=600, seed=9)
    trained = train(read_training_csv(data, "status", "bad"), seed=3)
    assert tuple(trained.measures) == FIVE_MODELS
    assert np.bincount(trained.fold_of_row).tolist() == [120] * 5
    for name, measures in trained.measures.items():
        pd = trained.out_of_fold[name]
        recomputed = [
            auc(trained.table.bad[trained.fold_of_row == k], pd[trained.fold_of_row == k])
            for k in range(5)
        ]
        assert list(measures.fold_auc) == pytest.approx(recomputed, abs=1e-12)
