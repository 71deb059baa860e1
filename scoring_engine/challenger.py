"""The challenger: gradient-boosted trees, monotone where lending knows the direction, with
isotonic calibration, stored with skops under an explicit list of trusted types.

It serves only if it beats the scorecard under the promotion rule (``promotion``). Its
reasons come from per-feature contributions: how much lower the log-odds would be if that one
feature took its best value, mapped to the same catalogue as the scorecard's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import skops.io as sio
from numpy.typing import NDArray
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier

from scoring_engine.reason_codes import ReasonBook, ReasonCode
from scoring_engine.scaling import Scaling, log_odds_of

Array = NDArray[np.float64]

TRUSTED_TYPES: tuple[str, ...] = (
    # The only non-default types a calibrated HistGradientBoostingClassifier needs; skops
    # trusts plain numpy and scikit-learn estimators itself. Anything else in a file is refused.
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)

_CANDIDATES = 9  # quantiles tried per feature when looking for its best value
_REFERENCE_ROWS = 2_000  # sample the best values are averaged over


class Challenger:
    """A calibrated tree ensemble plus what is needed to explain its predictions."""

    def __init__(
        self,
        estimator: CalibratedClassifierCV,
        features: Sequence[str],
        best_values: Array,
        scaling: Scaling,
    ) -> None:
        self.estimator = estimator
        self.features = tuple(features)
        self.best_values = best_values
        self.scaling = scaling
        self._reasons = ReasonBook(self.features)

    def default_probability(self, x: Array) -> Array:
        return np.asarray(self.estimator.predict_proba(x)[:, 1], dtype=np.float64)

    def reasons(self, x: Array, default_probability: Array) -> list[tuple[ReasonCode, ...]]:
        """Principal reasons from per-feature contributions, in the scorecard's point units."""
        n, k = x.shape
        # Row i*k + j is applicant i with feature j moved to its best value.
        moved = np.repeat(x, k, axis=0)
        columns = np.tile(np.arange(k), n)
        moved[np.arange(n * k), columns] = self.best_values[columns]
        improved = self.default_probability(moved).reshape(n, k)
        points_lost = self.scaling.factor * (
            log_odds_of(default_probability)[:, None] - log_odds_of(improved)
        )
        return self._reasons.principal(x, np.maximum(points_lost, 0.0))

    def save(self, path: Path) -> None:
        sio.dump(self.estimator, path)

    @classmethod
    def load(
        cls, path: Path, features: Sequence[str], best_values: Array, scaling: Scaling
    ) -> Challenger:
        """Load refusing every type not in ``TRUSTED_TYPES`` (skops raises on them)."""
        estimator = sio.load(path, trusted=list(TRUSTED_TYPES))
        return cls(estimator, features, best_values, scaling)


def fit_challenger(
    x: Array,
    bad: NDArray[np.bool_],
    features: Sequence[str],
    monotonic: Sequence[int],
    categorical: Sequence[bool],
    scaling: Scaling,
    seed: int,
) -> Challenger:
    """Fit and calibrate the trees, then find each feature's best value for the reasons."""
    estimator = fit_calibrated_trees(x, bad, monotonic, categorical, seed)
    draft = Challenger(estimator, features, np.zeros(len(features)), scaling)
    return Challenger(estimator, features, _best_values(draft, x, categorical, seed), scaling)


def fit_calibrated_trees(
    x: Array,
    bad: NDArray[np.bool_],
    monotonic: Sequence[int],
    categorical: Sequence[bool],
    seed: int,
) -> CalibratedClassifierCV:
    """The challenger's predictor alone, as cross-validation needs it."""
    trees = HistGradientBoostingClassifier(
        learning_rate=0.1,
        max_iter=200,
        max_leaf_nodes=15,
        min_samples_leaf=100,
        l2_regularization=1.0,
        # Monotonic constraints cannot apply to categories: those columns get 0.
        monotonic_cst=[0 if cat else m for m, cat in zip(monotonic, categorical, strict=True)],
        categorical_features=np.asarray(categorical, dtype=np.bool_),
        early_stopping=True,
        random_state=seed,
    )
    # One calibrator on 3-fold out-of-fold predictions, then trees refitted on all rows: a
    # third of the fitting time of an ensemble of three, for the same calibration quality.
    estimator = CalibratedClassifierCV(trees, method="isotonic", cv=3, ensemble=False)
    return estimator.fit(x, bad)


def _best_values(model: Challenger, x: Array, categorical: Sequence[bool], seed: int) -> Array:
    """For each feature, the candidate value giving the lowest average predicted log-odds
    over a reference sample (a partial-dependence minimum). NaN is a candidate too."""
    rng = np.random.default_rng(seed)
    sample = x[rng.choice(len(x), size=min(_REFERENCE_ROWS, len(x)), replace=False)]
    best = np.empty(x.shape[1])
    for j in range(x.shape[1]):
        present = x[~np.isnan(x[:, j]), j]
        if categorical[j] or len(present) == 0:
            candidates = np.unique(present)
        else:
            candidates = np.unique(np.quantile(present, np.linspace(0, 1, _CANDIDATES)))
        candidates = np.append(candidates, np.nan)
        trial = np.repeat(sample, len(candidates), axis=0)
        trial[:, j] = np.tile(candidates, len(sample))
        log_odds = log_odds_of(model.default_probability(trial)).reshape(len(sample), -1)
        best[j] = candidates[int(np.argmin(log_odds.mean(axis=0)))]
    return best
