"""Discrimination and calibration measures for a vector of predicted default probabilities."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def auc(bad: NDArray[np.bool_], risk: Array) -> float:
    """Area under the ROC curve: chance a random bad is ranked riskier than a random good.

    Rank-based (Mann-Whitney) with ties counted half, so it is exact and needs no sklearn.
    """
    n_bad = int(bad.sum())
    n_good = len(bad) - n_bad
    if n_bad == 0 or n_good == 0:
        raise ValueError("AUC needs both goods and bads")
    order = np.argsort(risk, kind="mergesort")
    sorted_risk = risk[order]
    ranks = np.empty(len(risk))
    # Average ranks across ties: the first and last index of each run of equal values.
    _, first, counts = np.unique(sorted_risk, return_index=True, return_counts=True)
    ranks[order] = np.repeat(first + (counts + 1) / 2.0, counts)
    return float((ranks[bad].sum() - n_bad * (n_bad + 1) / 2.0) / (n_bad * n_good))


def gini(bad: NDArray[np.bool_], risk: Array) -> float:
    """Accuracy ratio, 2 * AUC - 1."""
    return 2.0 * auc(bad, risk) - 1.0


def ks(bad: NDArray[np.bool_], risk: Array) -> float:
    """Kolmogorov-Smirnov: largest gap between the cumulative bad and good distributions."""
    order = np.argsort(-risk, kind="mergesort")
    sorted_bad = bad[order]
    sorted_risk = risk[order]
    cum_bad = np.cumsum(sorted_bad) / max(int(sorted_bad.sum()), 1)
    cum_good = np.cumsum(~sorted_bad) / max(int((~sorted_bad).sum()), 1)
    # Only compare at the end of each run of tied scores: a cut cannot split a tie.
    last_of_tie = np.append(sorted_risk[1:] != sorted_risk[:-1], True)
    return float(np.max(np.abs(cum_bad - cum_good)[last_of_tie]))


def brier(bad: NDArray[np.bool_], probability: Array) -> float:
    """Mean squared error of the probability against the 0/1 outcome."""
    return float(np.mean((probability - bad) ** 2))


def log_loss(bad: NDArray[np.bool_], probability: Array) -> float:
    """Mean negative log-likelihood of the outcomes, probabilities kept inside (0, 1) the way
    scikit-learn does (machine epsilon) so a confident miss costs much but stays finite."""
    eps = np.finfo(np.float64).eps
    p = np.clip(probability, eps, 1.0 - eps)
    return float(-np.mean(np.where(bad, np.log(p), np.log1p(-p))))
