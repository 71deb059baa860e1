"""The obvious models a lender would try first, measured beside the champion and the
challenger on the same folds of every training run.

A challenger that cannot beat these is not a real alternative, whatever it costs to explain.
They are evaluated only: never stored, never served.

- ``logistic_one_hot``: numeric columns median-imputed with a missing flag and standardised,
  categories one-hot (missing as a level of its own); L2 strength chosen by an inner
  stratified 3-fold CV on log loss.
- ``random_forest``: numeric and category codes as they are (trees split on NaN natively);
  scikit-learn's 100 trees, leaves of at least 20 rows so its probabilities are not all 0 and 1,
  each tree grown on at most 20,000 rows so 100,000-row tables train in minutes.
- ``gradient_boosting``: scikit-learn's histogram boosting with native categorical splits and
  its defaults (early stopping on 10,000 rows or more).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

BASELINES: tuple[str, ...] = ("logistic_one_hot", "random_forest", "gradient_boosting")

_INNER_FOLDS = 3
_CS = 8  # regularisation strengths tried, log-spaced from 1e-4 to 1e4
_FOREST_TREES = 100
_FOREST_LEAF = 20
_FOREST_ROWS_PER_TREE = 20_000


def baseline_estimator(
    name: str, categorical: Sequence[bool], rows: int, seed: int
) -> ClassifierMixin:
    """A fresh, unfitted baseline for ``rows`` training rows with these categorical columns."""
    mask = np.asarray(categorical, dtype=np.bool_)
    if name == "logistic_one_hot":
        return _logistic(mask, seed)
    if name == "random_forest":
        return RandomForestClassifier(
            n_estimators=_FOREST_TREES,
            min_samples_leaf=_FOREST_LEAF,
            max_samples=_FOREST_ROWS_PER_TREE if rows > _FOREST_ROWS_PER_TREE else None,
            n_jobs=-1,
            random_state=seed,
        )
    if name == "gradient_boosting":
        return HistGradientBoostingClassifier(categorical_features=mask, random_state=seed)
    raise KeyError(f"no baseline {name!r}")


def _logistic(categorical: NDArray[np.bool_], seed: int) -> Pipeline:
    numeric = np.flatnonzero(~categorical).tolist()
    categories = np.flatnonzero(categorical).tolist()
    columns = ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                    StandardScaler(),
                ),
                numeric,
            ),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categories),
        ]
    )
    regression = LogisticRegressionCV(
        Cs=_CS,
        cv=_INNER_FOLDS,
        l1_ratios=(0.0,),
        scoring="neg_log_loss",
        max_iter=1_000,
        use_legacy_attributes=False,
        random_state=seed,
    )
    return make_pipeline(columns, regression)
