"""Generated credit tables for training tests: what a lender's CSV export looks like."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def write_loans(path: Path, rows: int = 1_000, seed: int = 4, delimiter: str = ",") -> None:
    """Loans whose default depends on income, utilisation and region, with blank incomes.

    Also an applicant ``age_band`` that is never a cause of default but goes with income
    (younger applicants earn less), so a fair-looking model still approves the young less: a
    disparity known by construction.
    """
    rng = np.random.default_rng(seed)
    age_band = rng.choice(["18-29", "30-49", "50+"], rows, p=[0.3, 0.45, 0.25])
    income = rng.lognormal(8.2, 0.45, rows) * np.select(
        [age_band == "18-29", age_band == "30-49"], [0.6, 1.1], 1.3
    )
    utilisation = rng.beta(2, 3, rows)
    region = rng.choice(["north", "south", "east", "west"], rows)
    log_odds = (
        -3.3
        - 1.5 * (np.log(income) - 8.3)
        + 2.0 * utilisation
        + np.where(region == "south", 0.7, 0.0)
    )
    bad = rng.random(rows) < 1 / (1 + np.exp(-log_odds))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["income", "utilisation", "region", "age_band", "status"])
        for i in range(rows):
            shown_income = "" if i % 23 == 0 else f"{income[i]:.2f}"
            writer.writerow(
                [
                    shown_income,
                    f"{utilisation[i]:.3f}",
                    region[i],
                    age_band[i],
                    "bad" if bad[i] else "good",
                ]
            )
