"""The scorecard's WoE binning cross-checked against optbinning (issue 17, item 6).

optbinning is too heavy for `make test` (see scoring_engine/binning.py), so this test is marked
slow and skips where it is not installed; `make binning-crosscheck` installs it from
requirements-optbinning.lock and runs this file.

Two checks on generated tables of 20,000 rows (10% missing):
- on our bins, optbinning computes the same counts, WoE (to 0.01: ours adds half an
  observation per cell) and information value (to 1%);
- optbinning's own binning, solved to optimality under our rules (20 quantile pre-bins, bins
  of at least 5%, bad rate monotone either way), reaches an information value ours is within
  5% of.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from scoring_engine.binning import FINE_BINS, MIN_SHARE, fit_characteristic

optbinning = pytest.importorskip("optbinning")

pytestmark = [
    pytest.mark.slow,
    # optbinning 1.0's binning table writes its "Totals" labels into a float column, which
    # pandas 3 deprecates: optbinning's own warning, not about the figures compared here.
    pytest.mark.filterwarnings("ignore:Setting an item of incompatible dtype is deprecated"),
    # Its quantile pre-binning of a column with ties (orders a month) drops empty pre-bins and
    # says so; ours does the same silently (np.unique of the quantiles).
    pytest.mark.filterwarnings("ignore:Bins whose width are too small"),
]

ROWS = 20_000
Table = tuple[NDArray[np.float64], NDArray[np.bool_]]


def _table(draw: Callable[[np.random.Generator], NDArray[np.float64]], slope: float) -> Table:
    rng = np.random.default_rng(2026)
    x = draw(rng)
    standardised = (x - x.mean()) / x.std()
    bad = rng.random(ROWS) < 1.0 / (1.0 + np.exp(2.2 - slope * standardised))
    x[rng.random(ROWS) < 0.10] = np.nan
    return x, bad


TABLES = {
    # months of history: the longer, the safer
    "gamma, falling risk": _table(lambda rng: rng.gamma(2.0, 12.0, ROWS), -0.6),
    # spending volatility: the higher, the riskier
    "lognormal, rising risk": _table(lambda rng: rng.lognormal(0.0, 0.8, ROWS), 0.5),
    # orders a month: many ties
    "poisson, falling risk": _table(lambda rng: rng.poisson(3.0, ROWS).astype(float), -0.4),
}
CATEGORIES = 12


def _categorical() -> Table:
    rng = np.random.default_rng(31337)
    share = rng.dirichlet(np.full(CATEGORIES, 1.5))
    codes = rng.choice(CATEGORIES, size=ROWS, p=share).astype(float)
    rate = np.linspace(0.04, 0.30, CATEGORIES)[rng.permutation(CATEGORIES)]
    bad = rng.random(ROWS) < rate[codes.astype(int)]
    codes[rng.random(ROWS) < 0.10] = np.nan
    return codes, bad


def _table_of(binning: Any, x: NDArray[Any], bad: NDArray[np.bool_]) -> Any:
    """optbinning's binning table (a DataFrame: pandas comes with optbinning only)."""
    binning.fit(x, bad.astype(int))
    assert binning.status == "OPTIMAL"
    return binning.binning_table.build()


def _ours_in_their_rows(table: Any, column: str, bins: int) -> list[float]:
    """A column of their table in our attribute order: the bins, then Missing (their last
    row before Totals; Special, always empty here, sits between)."""
    return [float(v) for v in [*table[column][:bins], table[column].iloc[-2]]]


@pytest.mark.parametrize("name", TABLES)
def test_on_our_bins_optbinning_computes_the_same_woe_and_iv(name: str) -> None:
    x, bad = TABLES[name]
    ours = fit_characteristic(name, x, bad)
    fixed = optbinning.OptimalBinning(
        dtype="numerical",
        user_splits=np.asarray(ours.edges),
        user_splits_fixed=[True] * len(ours.edges),
        monotonic_trend=None,
    )
    table = _table_of(fixed, x, bad)
    bins = len(ours.woe) - 1  # without "missing"
    assert list(ours.counts) == _ours_in_their_rows(table, "Count", bins)
    assert list(ours.bad_counts) == _ours_in_their_rows(table, "Event", bins)
    # optbinning's WoE is ln(non-event share / event share): ours with goods as non-events.
    np.testing.assert_allclose(ours.woe, _ours_in_their_rows(table, "WoE", bins), atol=0.01)
    assert ours.information_value == pytest.approx(table.loc["Totals", "IV"], rel=0.01)


# Found by this check (2026-12-01): with 10% missing, every fine bin (5% of the present rows)
# is under the 5%-of-all-rows minimum, and the merging by nearest bad rate folds the riskiest
# 5% (bad rate 0.35) into a bin of 27% (0.17): IV 0.141 against optbinning's 0.221. Without
# the missing rows ours reaches 0.256 of 0.264. Strict: fixing it turns this into a failure to
# remove the mark.
MISSING_ROWS_SHRINK_THE_TAIL = pytest.mark.xfail(
    strict=True, reason="the 5% minimum counts missing rows: the risky tail is merged away"
)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=MISSING_ROWS_SHRINK_THE_TAIL) if "lognormal" in name else name
        for name in TABLES
    ],
)
def test_our_numeric_bins_keep_what_the_optimal_binning_keeps(name: str) -> None:
    x, bad = TABLES[name]
    ours = fit_characteristic(name, x, bad)
    optimal = optbinning.OptimalBinning(
        dtype="numerical",
        prebinning_method="quantile",
        max_n_prebins=FINE_BINS,
        min_prebin_size=MIN_SHARE,
        min_bin_size=MIN_SHARE,
        monotonic_trend="auto_asc_desc",
    )
    best = _table_of(optimal, x, bad).loc["Totals", "IV"]
    assert ours.information_value >= 0.95 * best, (ours.information_value, best)


def test_our_categorical_groups_keep_what_the_optimal_grouping_keeps() -> None:
    codes, bad = _categorical()
    ours = fit_characteristic("category", codes, bad, kind="categorical")
    optimal = optbinning.OptimalBinning(
        dtype="categorical",
        min_prebin_size=MIN_SHARE,
        min_bin_size=MIN_SHARE,
        monotonic_trend="auto_asc_desc",
    )
    present = ~np.isnan(codes)
    labels = np.where(present, np.nan_to_num(codes).astype(int).astype(str), "missing")
    labels = labels.astype(object)
    labels[~present] = np.nan
    best = _table_of(optimal, labels, bad).loc["Totals", "IV"]
    assert ours.information_value >= 0.95 * best, (ours.information_value, best)
