"""Training both models on a table, measuring them out of sample, and choosing which serves.

Measures come from stratified 5-fold cross-validation: each row is predicted by models that
never saw it, for the champion and the challenger alike. The models kept are then refitted
on every row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedKFold

from scoring_engine import metrics
from scoring_engine.challenger import Challenger, fit_calibrated_trees, fit_challenger
from scoring_engine.evaluation import Measures, measure
from scoring_engine.features import APPLIES_IF, FEATURE_NAMES, RISK_DIRECTION, feature_matrix
from scoring_engine.model import MODELS, Serving
from scoring_engine.monitoring import Baseline, baseline_of
from scoring_engine.promotion import ModelEvidence, PromotionDecision, decide
from scoring_engine.scaling import GradeCutoffs, Scaling
from scoring_engine.scorecard import Scorecard
from scoring_engine.scorecard_fitting import fit_scorecard
from scoring_engine.synthetic import DEFAULT_SEED, generate
from scoring_engine.tabular import TrainingTable

Array = NDArray[np.float64]

DEFAULT_PEOPLE = 50_000
FOLDS = 5


class TrainingError(ValueError):
    """The table cannot train a model (too few rows or outcomes per fold)."""


def synthetic_table(seed: int = DEFAULT_SEED, people: int = DEFAULT_PEOPLE) -> TrainingTable:
    """The default training table: scorable people of a synthetic population."""
    population = generate(people, seed)
    scorable = population.take(population.sufficient)
    return TrainingTable(
        x=feature_matrix(scorable.batch),
        bad=scorable.defaulted,
        features=FEATURE_NAMES,
        kinds=tuple("numeric" for _ in FEATURE_NAMES),
        monotonic=tuple(RISK_DIRECTION[name] for name in FEATURE_NAMES),
        applies_if=APPLIES_IF,
        description={
            "source": "synthetic",
            "seed": seed,
            "people": people,
            "rows": len(scorable),
            "left_out_insufficient_data": people - len(scorable),
            "bad_rate": float(scorable.defaulted.mean()),
        },
    )


@dataclass(frozen=True)
class TrainedModels:
    """The outcome of training: both refitted models, their out-of-fold evidence, the
    promotion decision and the monitoring baseline of the serving model."""

    table: TrainingTable
    scorecard: Scorecard
    challenger: Challenger
    measures: dict[Serving, Measures]
    out_of_fold: dict[Serving, Array]
    decision: PromotionDecision
    baseline: Baseline
    scaling: Scaling
    cutoffs: GradeCutoffs
    seed: int


def train(
    table: TrainingTable,
    seed: int = DEFAULT_SEED,
    scaling: Scaling | None = None,
    cutoffs: GradeCutoffs | None = None,
) -> TrainedModels:
    """Cross-validate both models, refit them on all rows, and decide which serves."""
    scaling = scaling or Scaling()
    cutoffs = cutoffs or GradeCutoffs()
    bads = int(table.bad.sum())
    if min(bads, len(table.bad) - bads) < 2 * FOLDS:
        raise TrainingError(
            f"{bads} bads and {len(table.bad) - bads} goods: need at least {2 * FOLDS} of each"
        )
    out_of_fold = {name: np.empty(len(table.bad)) for name in MODELS}
    fold_auc: dict[Serving, list[float]] = {name: [] for name in MODELS}
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed % 2**32)
    for fit_rows, test_rows in folds.split(table.x, table.bad):
        x, bad = table.x[fit_rows], table.bad[fit_rows]
        card = _fit_scorecard(table, x, bad, scaling)
        trees = fit_calibrated_trees(x, bad, table.monotonic, table.categorical, seed)
        predictions: dict[Serving, Array] = {
            "champion": card.default_probability(card.contributions(table.x[test_rows])),
            "challenger": np.asarray(trees.predict_proba(table.x[test_rows])[:, 1]),
        }
        for name, pd in predictions.items():
            out_of_fold[name][test_rows] = pd
            fold_auc[name].append(metrics.auc(table.bad[test_rows], pd))
    measures = {
        name: measure(table.bad, out_of_fold[name], cutoffs, tuple(fold_auc[name]))
        for name in MODELS
    }
    scorecard = _fit_scorecard(table, table.x, table.bad, scaling)
    challenger = fit_challenger(
        table.x, table.bad, table.features, table.monotonic, table.categorical, scaling, seed
    )
    decision = decide(
        _evidence(measures["champion"]),
        _evidence(measures["challenger"]),
        challenger_explains=_explains(challenger, table.x),
    )
    if decision.serving == "challenger":
        serving_pd = challenger.default_probability(table.x)
    else:
        serving_pd = scorecard.default_probability(scorecard.contributions(table.x))
    return TrainedModels(
        table=table,
        scorecard=scorecard,
        challenger=challenger,
        measures=measures,
        out_of_fold=out_of_fold,
        decision=decision,
        baseline=baseline_of(scaling.score(serving_pd), table.x, scorecard),
        scaling=scaling,
        cutoffs=cutoffs,
        seed=seed,
    )


def _fit_scorecard(
    table: TrainingTable, x: Array, bad: NDArray[np.bool_], scaling: Scaling
) -> Scorecard:
    try:
        return fit_scorecard(x, bad, table.features, table.kinds, table.applies_if, scaling)
    except ValueError as error:
        raise TrainingError(str(error)) from error


def _explains(challenger: Challenger, x: Array) -> bool:
    """Whether the challenger gives at least one reason to each of its riskiest applicants,
    the people who most need to know why."""
    pd = challenger.default_probability(x)
    riskiest = np.argsort(-pd, kind="stable")[:_EXPLAIN_SAMPLE]
    return all(challenger.reasons(x[riskiest], pd[riskiest]))


_EXPLAIN_SAMPLE = 100


def _evidence(measures: Measures) -> ModelEvidence:
    return ModelEvidence(measures.auc, measures.brier, measures.worst_grade_gap)
