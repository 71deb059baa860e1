"""Generated credit tables shaped like four well-known public ones, for measuring the
challenger against the baselines without downloading anything.

Each generator draws a table with the columns, types, missingness and bad rate of its public
namesake and a default mechanism of the kind credit data show (non-linear effects, thresholds,
interactions, informative missing values). The coefficients are ours: the tables are
realistic in shape, not copies. Namesakes (for the shape only; nothing is taken from them):

- ``give_me_some_credit``: Kaggle "Give Me Some Credit" (2011), 150,000 borrowers, 6.7% bad.
- ``german_credit``: UCI Statlog (German Credit Data), Hofmann 1994, CC BY 4.0; 1,000
  applicants, 30% bad, mostly categorical.
- ``taiwan_cards``: UCI "Default of credit card clients", Yeh & Lien 2009, CC BY 4.0;
  30,000 cardholders, 22% bad, six months of repayment status.
- ``home_equity``: HMEQ (Baesens et al., "Credit Risk Analytics", 2016), 5,960 loans, 20% bad,
  many missing values.

``DEVELOPMENT_SEEDS`` drew the tables the challenger was tuned on; reports use
``REPORT_SEEDS``, never seen while tuning.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Rows = dict[str, NDArray[np.generic]]

DEVELOPMENT_SEEDS = (101, 102)
REPORT_SEEDS = (7001,)


def _sigmoid(x: Array) -> Array:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def give_me_some_credit(rng: np.random.Generator, rows: int) -> tuple[Rows, Array]:
    age = np.clip(rng.normal(52, 14, rows), 21, 95).round()
    utilisation = np.where(
        rng.random(rows) < 0.02, rng.lognormal(2, 2, rows), rng.beta(0.6, 1.2, rows)
    )
    late_30 = rng.poisson(0.25 + 0.9 * utilisation.clip(0, 1.5), rows)
    late_60 = rng.binomial(late_30 + 1, 0.15) * (late_30 > 0)
    late_90 = rng.binomial(late_60 + 1, 0.25) * (late_60 > 0)
    income = rng.lognormal(8.6, 0.6, rows)
    income_known = rng.random(rows) > 0.2
    debt_ratio = np.where(income_known, rng.lognormal(-1.1, 0.7, rows), rng.lognormal(6, 1.5, rows))
    open_lines = rng.poisson(8.5, rows)
    real_estate = rng.poisson(1.0, rows)
    dependents = np.where(rng.random(rows) < 0.03, np.nan, rng.poisson(0.75, rows))
    log_odds = (
        -4.3
        + 2.2 * np.minimum(utilisation, 1.2)
        - 0.9 * (utilisation < 0.05)
        + 0.75 * np.log1p(late_30)
        + 0.9 * np.log1p(late_60)
        + 1.3 * np.log1p(late_90)
        - 0.025 * (age - 50)
        - 0.25 * np.where(income_known, np.log(income) - 8.6, 0.0)
        + 0.25 * ~income_known
        + 0.3 * (open_lines < 3)
        + 0.25 * (real_estate == 0)
        + 0.3 * (debt_ratio > 1.0) * income_known
        + 0.05 * np.nan_to_num(dependents)
    )
    bad = rng.random(rows) < _sigmoid(log_odds)
    return {
        "revolving_utilisation": utilisation.round(4),
        "age": age,
        "times_30_59_days_late": late_30.astype(float),
        "debt_ratio": debt_ratio.round(4),
        "monthly_income": np.where(income_known, income.round(0), np.nan),
        "open_credit_lines": open_lines.astype(float),
        "times_90_days_late": late_90.astype(float),
        "real_estate_loans": real_estate.astype(float),
        "times_60_89_days_late": late_60.astype(float),
        "dependents": dependents,
    }, bad.astype(float)


def german_credit(rng: np.random.Generator, rows: int) -> tuple[Rows, Array]:
    checking = rng.choice(["<0", "0-200", ">=200", "none"], rows, p=[0.27, 0.27, 0.06, 0.40])
    history = rng.choice(
        ["critical", "delayed", "paid_duly", "all_paid_here", "no_credits"],
        rows,
        p=[0.29, 0.09, 0.53, 0.05, 0.04],
    )
    purpose = rng.choice(
        ["car_new", "car_used", "furniture", "radio_tv", "education", "business", "repairs"],
        rows,
        p=[0.23, 0.10, 0.18, 0.28, 0.06, 0.10, 0.05],
    )
    savings = rng.choice(["<100", "100-500", "500-1000", ">=1000", "unknown"], rows,
                         p=[0.6, 0.1, 0.06, 0.05, 0.19])  # fmt: skip
    employment = rng.choice(["unemployed", "<1", "1-4", "4-7", ">=7"], rows,
                            p=[0.06, 0.17, 0.34, 0.17, 0.26])  # fmt: skip
    housing = rng.choice(["rent", "own", "free"], rows, p=[0.18, 0.71, 0.11])
    duration = np.clip(rng.gamma(3.0, 7.0, rows), 4, 72).round()
    amount = np.clip(rng.lognormal(7.8, 0.75, rows) * (1 + duration / 40), 250, 18_000).round()
    age = np.clip(rng.gamma(6.0, 6.0, rows) + 19, 19, 75).round()
    instalment_rate = rng.integers(1, 5, rows).astype(float)
    effect = {
        "<0": 0.65, "0-200": 0.3, ">=200": -0.4, "none": -1.2,
        "critical": -0.7, "delayed": 0.3, "paid_duly": 0.1, "all_paid_here": 0.9,
        "no_credits": 1.0, "car_new": 0.35, "car_used": -0.7, "furniture": 0.0,
        "radio_tv": -0.25, "education": 0.55, "business": 0.15, "repairs": 0.3,
        "<100": 0.35, "100-500": 0.2, "500-1000": -0.3, ">=1000": -0.7, "unknown": -0.45,
        "unemployed": 0.2, "<1": 0.35, "1-4": 0.05, "4-7": -0.35, ">=7": -0.1,
        "rent": 0.3, "own": -0.2, "free": 0.3,
    }  # fmt: skip
    categorical = [checking, history, purpose, savings, employment, housing]
    log_odds = (
        -1.0
        + sum(np.vectorize(effect.get)(column) for column in categorical)
        + 0.03 * (duration - 20)
        + 0.12 * (np.log(amount) - 7.9) ** 2
        + 0.12 * (instalment_rate - 2.5)
        - 0.012 * (age - 35)
        + 0.4 * ((checking == "<0") & (duration > 24))
    )
    bad = rng.random(rows) < _sigmoid(log_odds)
    return {
        "checking_account": checking,
        "duration_months": duration,
        "credit_history": history,
        "purpose": purpose,
        "amount": amount,
        "savings": savings,
        "employment_years": employment,
        "instalment_rate": instalment_rate,
        "housing": housing,
        "age": age,
    }, bad.astype(float)


def taiwan_cards(rng: np.random.Generator, rows: int) -> tuple[Rows, Array]:
    limit = np.clip(rng.lognormal(11.7, 0.8, rows), 10_000, 1_000_000).round(-4)
    education = rng.choice(["graduate", "university", "high_school", "other"], rows,
                           p=[0.35, 0.47, 0.16, 0.02])  # fmt: skip
    marriage = rng.choice(["married", "single", "other"], rows, p=[0.45, 0.53, 0.02])
    age = np.clip(rng.gamma(9.0, 4.0, rows) + 12, 21, 79).round()
    tendency = rng.standard_normal(rows)
    columns: Rows = {
        "limit_balance": limit, "education": education, "marriage": marriage, "age": age,
    }  # fmt: skip
    status = np.zeros((rows, 6))
    for month in range(6):
        drift = 0.6 * tendency + 0.5 * rng.standard_normal(rows)
        status[:, month] = np.select(
            [drift < -0.9, drift < 0.3, drift < 1.3, drift < 1.9], [-2, -1, 0, 1], 2
        ) + (drift > 2.4)
        columns[f"pay_status_{month + 1}"] = status[:, month]
    utilisation = np.clip(0.35 + 0.25 * tendency + 0.3 * rng.standard_normal(rows), 0, 1.1)
    for month in range(3):
        bill = (limit * np.clip(utilisation + 0.05 * rng.standard_normal(rows), 0, 1.2)).round()
        columns[f"bill_amount_{month + 1}"] = bill
        paid = bill * np.clip(rng.beta(1.2, 3.0, rows) - 0.1 * tendency, 0, 1)
        columns[f"paid_amount_{month + 1}"] = paid.round()
    latest = status[:, 0]
    log_odds = (
        -1.4
        + 0.65 * np.maximum(latest, 0)
        + 0.9 * (latest >= 2)
        + 0.25 * np.maximum(status[:, 1], 0)
        + 0.12 * (status[:, 1:] > 0).sum(axis=1)
        - 0.3 * (np.log(limit) - 11.7)
        + 0.5 * (utilisation > 0.9)
        - 0.8 * np.clip(columns["paid_amount_1"] / np.maximum(columns["bill_amount_1"], 1), 0, 1)
        + 0.15 * (education == "high_school")
        + 0.1 * (marriage == "married")
        + 0.004 * np.abs(age - 35)
    )
    bad = rng.random(rows) < _sigmoid(log_odds)
    return columns, bad.astype(float)


def home_equity(rng: np.random.Generator, rows: int) -> tuple[Rows, Array]:
    loan = np.clip(rng.lognormal(9.7, 0.5, rows), 1_100, 89_900).round(-2)
    value = np.clip(rng.lognormal(11.4, 0.45, rows), 8_000, 850_000).round()
    mortgage_due = value * np.clip(rng.beta(4, 3, rows), 0.05, 1.1)
    reason = rng.choice(["DebtCon", "HomeImp"], rows, p=[0.69, 0.31]).astype(object)
    job = rng.choice(["Other", "ProfExe", "Office", "Mgr", "Self", "Sales"], rows,
                     p=[0.42, 0.23, 0.17, 0.14, 0.03, 0.01]).astype(object)  # fmt: skip
    years_on_job = np.clip(rng.gamma(1.3, 6.8, rows), 0, 41).round(1)
    derogatory = rng.poisson(0.25, rows).astype(float)
    delinquent = rng.poisson(0.45, rows).astype(float)
    oldest_line_months = np.clip(rng.normal(180, 85, rows), 0, 1_170).round(1)
    inquiries = rng.poisson(1.2, rows).astype(float)
    lines = rng.poisson(21, rows).astype(float)
    debt_to_income = np.clip(rng.normal(34, 8.5, rows), 0.5, 200)
    log_odds = (
        -2.3
        + 0.75 * np.log1p(derogatory) * 1.6
        + 0.9 * np.log1p(delinquent) * 1.4
        - 0.006 * (oldest_line_months - 180)
        + 0.18 * inquiries
        + 0.09 * np.maximum(debt_to_income - 40, 0)
        - 0.25 * (np.log(loan) - 9.7)
        + 0.5 * (job == "Sales")
        + 0.45 * (job == "Self")
        - 0.3 * (job == "Office")
        - 0.02 * years_on_job
        + 0.4 * (lines < 10)
    )
    # Missing values are common, and informative: an unreported debt-to-income ratio goes with
    # defaults, as in the public table.
    dti_missing = rng.random(rows) < _sigmoid(-2.0 + 1.2 * (log_odds > -1.0))
    log_odds = log_odds + 1.3 * dti_missing
    bad = rng.random(rows) < _sigmoid(log_odds)

    def holes(values: Array, share: float) -> Array:
        return np.where(rng.random(rows) < share, np.nan, values)

    reason[rng.random(rows) < 0.04] = ""
    job[rng.random(rows) < 0.05] = ""
    return {
        "loan": loan,
        "mortgage_due": holes(mortgage_due.round(), 0.09),
        "property_value": holes(value, 0.02),
        "reason": reason,
        "job": job,
        "years_on_job": holes(years_on_job, 0.09),
        "derogatory_reports": holes(derogatory, 0.12),
        "delinquent_lines": holes(delinquent, 0.10),
        "oldest_line_months": holes(oldest_line_months, 0.05),
        "recent_inquiries": holes(inquiries, 0.09),
        "credit_lines": holes(lines, 0.04),
        "debt_to_income": np.where(dti_missing, np.nan, debt_to_income.round(2)),
    }, bad.astype(float)


TABLES: dict[str, tuple[Callable[[np.random.Generator, int], tuple[Rows, Array]], int]] = {
    # name: (generator, rows drawn: the public table's size, capped to keep a run in minutes)
    "give_me_some_credit": (give_me_some_credit, 20_000),
    "german_credit": (german_credit, 1_000),
    "taiwan_cards": (taiwan_cards, 15_000),
    "home_equity": (home_equity, 5_960),
}


def write_table(name: str, seed: int, path: Path) -> None:
    """Draw table ``name`` from ``seed`` and write it as a CSV with a ``default`` column
    (1 bad, 0 good); blanks are missing values."""
    generator, rows = TABLES[name]
    columns, bad = generator(np.random.default_rng(seed), rows)
    names = list(columns)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*names, "default"])
        for i in range(rows):
            cells = [columns[n][i] for n in names]
            writer.writerow(
                [
                    "" if isinstance(c, float | np.floating) and np.isnan(c) else _cell(c)
                    for c in cells
                ]
                + [int(bad[i])]
            )


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)
