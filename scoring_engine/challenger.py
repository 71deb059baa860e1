"""The challenger: a soft-voting blend, the mean of three models' default probabilities:

- the champion's own points table (WoE bins: thresholds and missing values handled well);
- gradient-boosted trees, monotone where lending knows the direction, native categories,
  a slower learning rate with early stopping on a held-out 15%;
- a one-hot logistic regression (the baseline of that name: regularisation by inner CV).

Three models that err differently average to a better ranking and calibration than any of
them; the weights are equal, not tuned, so nothing is fitted to the tables it is reported on.
The trees and the regression are stored with skops under an explicit list of trusted types;
the points table is the version's own ``scorecard.json``.

It serves only if it beats the scorecard and every baseline under the promotion rule
(``promotion``). Its reasons come from per-feature contributions: how much lower the
log-odds would be if that one feature took its best value, mapped to the same catalogue as
the scorecard's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import skops.io as sio
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier

from scoring_engine.baselines import baseline_estimator
from scoring_engine.reason_codes import ReasonBook, ReasonCode
from scoring_engine.scaling import Scaling, log_odds_of
from scoring_engine.scorecard import Scorecard

Array = NDArray[np.float64]

TRUSTED_TYPES: tuple[str, ...] = (
    # The only non-default types the blend's trees and regression need; skops trusts plain
    # numpy and scikit-learn estimators itself. Anything else in a file is refused. A partial
    # is a node like any other: it can only wrap a function on this list (check_array).
    "functools.partial",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils._bunch.Bunch",
    "sklearn.utils.validation.check_array",
)
_PARTS = 3  # the scorecard, the trees, the regression

_CANDIDATES = 9  # quantiles tried per feature when looking for its best value
_REFERENCE_ROWS = 1_000  # sample the best values are averaged over


class Challenger:
    """The blend plus what is needed to explain its predictions."""

    def __init__(
        self,
        estimator: VotingClassifier,
        scorecard: Scorecard,
        features: Sequence[str],
        best_values: Array,
        scaling: Scaling,
    ) -> None:
        self.estimator = estimator
        self.scorecard = scorecard
        self.features = tuple(features)
        self.best_values = best_values
        self.scaling = scaling
        self._reasons = ReasonBook(self.features)

    def default_probability(self, x: Array) -> Array:
        return blended_probability(self.estimator, self.scorecard, x)

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
        cls,
        path: Path,
        scorecard: Scorecard,
        features: Sequence[str],
        best_values: Array,
        scaling: Scaling,
    ) -> Challenger:
        """Load refusing every type not in ``TRUSTED_TYPES`` (skops raises on them)."""
        estimator = sio.load(path, trusted=list(TRUSTED_TYPES))
        return cls(estimator, scorecard, features, best_values, scaling)


def fit_challenger(
    x: Array,
    bad: NDArray[np.bool_],
    scorecard: Scorecard,
    features: Sequence[str],
    monotonic: Sequence[int],
    categorical: Sequence[bool],
    scaling: Scaling,
    seed: int,
) -> Challenger:
    """Fit the trees and the regression beside ``scorecard`` (fitted on the same rows), then
    find each feature's best value for the reasons."""
    estimator = fit_blend(x, bad, monotonic, categorical, seed)
    draft = Challenger(estimator, scorecard, features, np.zeros(len(features)), scaling)
    best = _best_values(draft, x, categorical, seed)
    return Challenger(estimator, scorecard, features, best, scaling)


def fit_blend(
    x: Array,
    bad: NDArray[np.bool_],
    monotonic: Sequence[int],
    categorical: Sequence[bool],
    seed: int,
) -> VotingClassifier:
    """The trees and the regression, averaged (soft vote); the scorecard joins at predict."""
    trees = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=500,
        max_leaf_nodes=15,
        min_samples_leaf=50,
        l2_regularization=1.0,
        # Monotonic constraints cannot apply to categories: those columns get 0.
        monotonic_cst=[0 if cat else m for m, cat in zip(monotonic, categorical, strict=True)],
        categorical_features=np.asarray(categorical, dtype=np.bool_),
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=30,
        random_state=seed,
    )
    regression = baseline_estimator("logistic_one_hot", categorical, len(bad), seed)
    blend = VotingClassifier([("trees", trees), ("regression", regression)], voting="soft")
    return blend.fit(x, bad)


def blended_probability(estimator: VotingClassifier, scorecard: Scorecard, x: Array) -> Array:
    """Mean of the three parts' PDs: the soft vote of two, and the scorecard's."""
    two = np.asarray(estimator.predict_proba(x)[:, 1], dtype=np.float64)
    card = scorecard.default_probability(scorecard.contributions(x))
    blended: Array = ((_PARTS - 1) * two + card) / _PARTS
    return blended


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
