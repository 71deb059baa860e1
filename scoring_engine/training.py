"""Training both models on a table, measuring them out of sample beside the baselines, and
choosing which serves.

Measures come from stratified 5-fold cross-validation: each row is predicted by models that
never saw it, for the champion, the challenger and every baseline alike, on the same folds.
The champion and the challenger are then refitted on every row; baselines are only measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from scoring_engine import metrics
from scoring_engine.baselines import BASELINES, baseline_estimator
from scoring_engine.challenger import Challenger, blended_probability, fit_blend, fit_challenger
from scoring_engine.evaluation import Measures, fold_measures, measure
from scoring_engine.fairness import FairnessReport, fairness_report
from scoring_engine.features import APPLIES_IF, FEATURE_NAMES, RISK_DIRECTION, feature_matrix
from scoring_engine.model import MODELS, Serving
from scoring_engine.monitoring import Baseline, baseline_of
from scoring_engine.progress import Progress, silent
from scoring_engine.promotion import ModelEvidence, PromotionDecision, decide
from scoring_engine.scaling import GradeCutoffs, Scaling
from scoring_engine.scorecard import Scorecard
from scoring_engine.scorecard_fitting import fit_scorecard
from scoring_engine.synthetic import DEFAULT_SEED, generate
from scoring_engine.tabular import TrainingTable

Array = NDArray[np.float64]

DEFAULT_PEOPLE = 50_000
FOLDS = 5
MIN_ROWS = 200
"""Below this, 5 folds of 40 rows measure nothing a lender could rely on."""
LEAKAGE_AUC = 0.999
"""A single column ranking goods and bads this well is almost surely the outcome itself."""


class TrainingError(ValueError):
    """The table cannot train a model (too few rows or outcomes per fold)."""


def synthetic_table(seed: int = DEFAULT_SEED, people: int | None = None) -> TrainingTable:
    """The default training table: scorable people of a synthetic population, with its
    documented protected group (age band) held out of the features for the fairness report."""
    people = people or DEFAULT_PEOPLE
    population = generate(people, seed)
    scorable = population.take(population.sufficient)
    return TrainingTable(
        x=feature_matrix(scorable.batch),
        bad=scorable.defaulted,
        features=FEATURE_NAMES,
        kinds=tuple("numeric" for _ in FEATURE_NAMES),
        monotonic=tuple(RISK_DIRECTION[name] for name in FEATURE_NAMES),
        applies_if=APPLIES_IF,
        protected={"age_band": tuple(scorable.age_band.tolist())},
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
    """The outcome of training: both refitted models, every model's out-of-fold evidence on
    the same folds (``fold_of_row``), the promotion decision, warnings about the data and the
    monitoring baseline of the serving model."""

    table: TrainingTable
    scorecard: Scorecard
    challenger: Challenger
    measures: dict[str, Measures]
    out_of_fold: dict[str, Array]
    fold_of_row: NDArray[np.intp]
    decision: PromotionDecision
    warnings: tuple[str, ...]
    fairness: tuple[FairnessReport, ...]
    baseline: Baseline
    scaling: Scaling
    cutoffs: GradeCutoffs
    seed: int

    @property
    def baselines(self) -> tuple[str, ...]:
        return tuple(name for name in self.measures if name not in MODELS)


def train(
    table: TrainingTable,
    seed: int = DEFAULT_SEED,
    scaling: Scaling | None = None,
    cutoffs: GradeCutoffs | None = None,
    *,
    baselines: bool = True,
    progress: Progress = silent,
) -> TrainedModels:
    """Cross-validate both models (and the baselines unless ``baselines`` is False), refit
    the two on all rows, and decide which serves. ``progress`` hears of each stage."""
    # One OpenMP/BLAS thread per fit: on a machine shared with other work (the usual case for
    # a server or CI), several threads spin-waiting at every boosting step cost 5-10 times the
    # CPU for the same result. The random forest still grows trees on every core.
    with threadpool_limits(limits=1):
        return _train(
            table, seed, scaling or Scaling(), cutoffs or GradeCutoffs(), baselines, progress
        )


def _train(
    table: TrainingTable,
    seed: int,
    scaling: Scaling,
    cutoffs: GradeCutoffs,
    baselines: bool,
    progress: Progress,
) -> TrainedModels:
    _check_size(table)
    warnings = leakage_warnings(table)
    names: tuple[str, ...] = MODELS + (BASELINES if baselines else ())
    n = len(table.bad)
    out_of_fold = {name: np.empty(n) for name in names}
    per_fold: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    fold_of_row = np.empty(n, dtype=np.intp)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed % 2**32)
    for k, (fit_rows, test_rows) in enumerate(folds.split(table.x, table.bad)):
        fold_of_row[test_rows] = k
        x, bad, x_test = table.x[fit_rows], table.bad[fit_rows], table.x[test_rows]
        card: Scorecard | None = None
        for name in names:
            progress(f"cross-validation fold {k + 1}/{FOLDS}: {name}")
            # Fitted once per fold: the champion, and a part of the challenger's blend.
            if card is None:
                card = _fit_scorecard(table, x, bad, scaling)
            pd = _fit_predict(name, table, x, bad, x_test, card, seed)
            out_of_fold[name][test_rows] = pd
            per_fold[name].append(fold_measures(table.bad[test_rows], pd))
    measures = {
        name: measure(table.bad, out_of_fold[name], cutoffs, per_fold[name]) for name in names
    }
    warnings += tuple(
        f"{name} ranks goods and bads perfectly out of fold (AUC {m.auc:.4f}): a column "
        "is probably the outcome in disguise (leakage)"
        for name, m in measures.items()
        if m.auc >= LEAKAGE_AUC
    )
    progress("refitting the champion scorecard on all rows")
    scorecard = _fit_scorecard(table, table.x, table.bad, scaling)
    progress("refitting the challenger on all rows")
    challenger = fit_challenger(
        table.x,
        table.bad,
        scorecard,
        table.features,
        table.monotonic,
        table.categorical,
        scaling,
        seed,
    )
    progress("applying the promotion rule")
    decision = decide(
        _evidence(measures["champion"]),
        _evidence(measures["challenger"]),
        challenger_explains=_explains(challenger, table.x),
        baselines={name: _evidence(measures[name]) for name in names if name not in MODELS},
    )
    serving: Serving = decision.serving
    fairness = tuple(
        fairness_report(column, labels, table.bad, out_of_fold[serving], cutoffs)
        for column, labels in table.protected.items()
    )
    if serving == "challenger":
        serving_pd = challenger.default_probability(table.x)
    else:
        serving_pd = scorecard.default_probability(scorecard.contributions(table.x))
    return TrainedModels(
        table=table,
        scorecard=scorecard,
        challenger=challenger,
        measures=measures,
        out_of_fold=out_of_fold,
        fold_of_row=fold_of_row,
        decision=decision,
        warnings=warnings,
        fairness=fairness,
        baseline=baseline_of(scaling.score(serving_pd), table.x, scorecard),
        scaling=scaling,
        cutoffs=cutoffs,
        seed=seed,
    )


def _check_size(table: TrainingTable) -> None:
    rows = len(table.bad)
    bads = int(table.bad.sum())
    if rows < MIN_ROWS:
        raise TrainingError(
            f"{rows} rows with an outcome: need at least {MIN_ROWS} to train and measure a model"
        )
    if min(bads, rows - bads) < 2 * FOLDS:
        raise TrainingError(
            f"{bads} bads and {rows - bads} goods: need at least {2 * FOLDS} of each"
        )


def leakage_warnings(table: TrainingTable) -> tuple[str, ...]:
    """A warning for each column that on its own orders goods and bads (almost) perfectly.

    Numbers are ranked as they are; categories by their bad rate (at most 30 levels, so a
    level's rate is not a per-row memory of the outcome). Missing values are left out.
    """
    found = []
    for j, name in enumerate(table.features):
        values = table.x[:, j]
        present = ~np.isnan(values)
        bad = table.bad[present]
        if present.sum() < MIN_ROWS // 2 or bad.all() or not bad.any():
            continue
        risk = values[present]
        if table.categorical[j]:
            codes = risk.astype(np.intp)
            rate = np.bincount(codes, weights=bad) / np.maximum(np.bincount(codes), 1)
            risk = rate[codes]
        area = metrics.auc(bad, risk)
        strength = max(area, 1.0 - area)
        if strength >= LEAKAGE_AUC:
            found.append(
                f"column {name!r} alone separates goods from bads (AUC {strength:.4f}): it is "
                "probably the outcome in disguise (leakage); drop it unless it is known before "
                "the loan is granted"
            )
    return tuple(found)


def _fit_predict(
    name: str,
    table: TrainingTable,
    x: Array,
    bad: NDArray[np.bool_],
    x_test: Array,
    card: Scorecard,
    seed: int,
) -> Array:
    """Fit model ``name`` on one fold's training rows (``card`` is the fold's scorecard,
    fitted once); its PDs for the fold's test rows."""
    if name == "champion":
        return card.default_probability(card.contributions(x_test))
    if name == "challenger":
        blend = fit_blend(x, bad, table.monotonic, table.categorical, seed)
        return blended_probability(blend, card, x_test)
    estimator = baseline_estimator(name, table.categorical, len(bad), seed)
    estimator.fit(x, bad)
    return np.asarray(estimator.predict_proba(x_test)[:, 1], dtype=np.float64)


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
    return ModelEvidence(
        auc=measures.mean("auc"),
        brier=measures.mean("brier"),
        worst_grade_gap=measures.worst_grade_gap,
        auc_std=measures.std("auc"),
    )
