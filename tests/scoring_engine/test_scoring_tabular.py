from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from scoring_engine.features import FEATURE_NAMES, feature_matrix
from scoring_engine.registry import (
    RegistryError,
    list_versions,
    load_version,
    promote_version,
    promoted_version,
    train_version,
)
from scoring_engine.synthetic import generate
from scoring_engine.tabular import OTHER, TabularError, read_training_csv


def _write_loans(path: Path, rows: int = 2_000, seed: int = 1) -> None:
    """Loans where income (numeric, some blank), region (categorical) and employer (many
    levels) drive default; loan_id is an identifier and must be left out."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(8.5, 0.5, rows)
    region = rng.choice(["north", "south", "east", "west"], rows)
    employer = [f"employer-{i}" for i in rng.integers(0, 400, rows)]
    log_odds = -2.0 - 1.2 * (np.log(income) - 8.5) + np.where(region == "south", 0.8, 0.0)
    bad = rng.random(rows) < 1 / (1 + np.exp(-log_odds))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["loan_id", "income", "region", "employer", "status"])
        for i in range(rows):
            shown_income = "" if i % 17 == 0 else f"{income[i]:.2f}"
            writer.writerow(
                [f"L{i:05d}", shown_income, region[i], employer[i], "bad" if bad[i] else "good"]
            )


def test_a_csv_with_numeric_categorical_missing_and_many_level_columns_trains(
    tmp_path: Path,
) -> None:
    data = tmp_path / "loans.csv"
    _write_loans(data)
    table = read_training_csv(data, "status", "bad")
    assert table.features == ("income", "region", "employer")
    assert table.kinds == ("numeric", "categorical", "categorical")
    assert table.description["left_out"] == {"loan_id": "identifier (every value distinct)"}
    assert np.isnan(table.x[0, 0])  # blank income stays missing
    assert table.categories["employer"][-1] == OTHER
    assert len(table.categories["employer"]) <= 30

    version = train_version(tmp_path / "models", table, seed=3)
    model = load_version(tmp_path / "models", version)
    assert not model.config.scores_applicants
    with pytest.raises(RegistryError, match="cannot score linked accounts"):
        promote_version(tmp_path / "models", version)
    [summary] = list_versions(tmp_path / "models")
    assert summary.auc > 0.65
    folder = tmp_path / "models" / "versions" / version
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Column `status`" in card
    assert "Fairness statement" in card
    assert (folder / "roc.png").read_bytes().startswith(b"\x89PNG")
    assert (folder / "calibration.png").stat().st_size > 1000


@pytest.mark.parametrize(
    ("content", "target", "bad", "message"),
    [
        ("a,b\n1,0\n2,1\n", "status", "1", "no column 'status'"),
        ("a,status\n1,0\n2,0\n", "status", "1", "no row has status = '1'"),
        ("", "status", "1", "empty"),
        ("a,status\n", "status", "1", "no data rows"),
        (
            "a,status\n" + "".join(f"{i},{i % 2}\n" for i in range(40)) + "oops,1\n",
            "status",
            "1",
            "column 'a' is numeric but data row 41 holds 'oops'",
        ),
        ("a,status\n1,0,9\n", "status", "1", "line 2 has 3 values"),
    ],
)
def test_bad_csv_inputs_raise_a_tabular_error_saying_why(
    tmp_path: Path, content: str, target: str, bad: str, message: str
) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(content, encoding="utf-8")
    with pytest.raises(TabularError, match=message):
        read_training_csv(data, target, bad)


def test_a_binary_file_is_not_a_csv(tmp_path: Path) -> None:
    data = tmp_path / "model.bin"
    data.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(TabularError, match=r"not a UTF-8 text file|binary"):
        read_training_csv(data, "status", "1")


def test_numeric_outcome_values_match_whatever_their_spelling(tmp_path: Path) -> None:
    data = tmp_path / "loans.csv"
    data.write_text("x,status\n1,1.0\n2,0\n3,1\n", encoding="utf-8")
    assert read_training_csv(data, "status", "1").bad.tolist() == [True, False, True]


def test_a_csv_of_our_own_features_trains_a_model_that_can_serve(tmp_path: Path) -> None:
    population = generate(3_000, seed=8)
    scorable = population.take(population.sufficient)
    data = tmp_path / "features.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        # Columns in a different order than the model's: they are matched by name.
        writer.writerow(["defaulted", *reversed(FEATURE_NAMES)])
        for row, bad in zip(
            feature_matrix(scorable.batch).tolist(), scorable.defaulted.tolist(), strict=True
        ):
            writer.writerow([int(bad), *("" if v != v else v for v in reversed(row))])
    table = read_training_csv(data, "defaulted", "1")
    assert table.features == FEATURE_NAMES
    root = tmp_path / "models"
    version = train_version(root, table, seed=1, promote=True)
    assert load_version(root, version).config.scores_applicants
    assert promoted_version(root) == version
