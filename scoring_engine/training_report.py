"""What a model version tells its reviewers: metrics.json, MODEL_CARD.md and two plots."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: never open a window, never need a display

import matplotlib.pyplot as plt
import numpy as np
import orjson
from numpy.typing import NDArray

from scoring_engine.evaluation import COLUMNS, Measures, comparison_rows
from scoring_engine.fairness import FAIRNESS_COLUMNS, fairness_rows
from scoring_engine.model import MODELS, ModelConfig
from scoring_engine.training import TrainedModels
from scoring_engine.version_files import CALIBRATION_PNG, METRICS_JSON, MODEL_CARD, ROC_PNG

Array = NDArray[np.float64]


def metrics_document(trained: TrainedModels, config: ModelConfig, seconds: float) -> dict[str, Any]:
    return {
        "version": config.version,
        "trained_on": trained.table.description,
        "training_seconds": round(seconds, 2),
        "folds": {
            "count": int(trained.fold_of_row.max()) + 1,
            "stratified": True,
            "seed": trained.seed,
            "rows_per_fold": np.bincount(trained.fold_of_row).tolist(),
            "bads_per_fold": np.bincount(trained.fold_of_row, weights=trained.table.bad)
            .astype(int)
            .tolist(),
        },
        "models": {name: m.to_mapping() for name, m in trained.measures.items()},
        "baselines": list(trained.baselines),
        "serving": trained.decision.serving,
        "promotion_reasons": list(trained.decision.reasons),
        "warnings": list(trained.warnings),
        "fairness": [report.to_mapping() for report in trained.fairness],
        "grade_cutoffs": trained.cutoffs.to_mapping(),
        "scaling": trained.scaling.to_mapping(),
    }


def write_report(
    directory: Path, trained: TrainedModels, config: ModelConfig, seconds: float
) -> None:
    document = metrics_document(trained, config, seconds)
    (directory / METRICS_JSON).write_bytes(
        orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    )
    (directory / MODEL_CARD).write_text(model_card(trained, config), encoding="utf-8")
    _roc_plot(directory / ROC_PNG, trained)
    _calibration_plot(directory / CALIBRATION_PNG, trained)


def measures_table(measures: Mapping[str, Measures]) -> list[str]:
    """Markdown table comparing models."""
    lines = [
        "| model | " + " | ".join(COLUMNS) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
    ]
    rows = comparison_rows({name: m.to_mapping() for name, m in measures.items()})
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def grades_table(measures: Measures) -> list[str]:
    lines = ["| grade | people | mean predicted PD | observed default rate |", "|---|---|---|---|"]
    for g in measures.grades:
        lines.append(f"| {g.grade} | {g.count} | {g.mean_predicted:.2%} | {g.observed:.2%} |")
    return lines


def model_card(trained: TrainedModels, config: ModelConfig) -> str:
    table = trained.table
    data = table.description
    kept = {c.name: c for c in trained.scorecard.characteristics}
    if data.get("source") == "synthetic":
        data_text = (
            f"Synthetic population (seed {data['seed']}, {data['people']} people; "
            f"{data['rows']} with enough history to score, bad rate {data['bad_rate']:.2%}). "
            "See `scoring_engine/synthetic.py` for the generative model."
        )
        target_text = "Default within 12 months of the scoring date."
    else:
        data_text = (
            f"CSV file `{data['path']}`: {data['rows']} rows with an outcome "
            f"({data['rows_without_target']} without one were left out), bad rate "
            f"{data['bad_rate']:.2%}. Columns left out: {data['left_out'] or 'none'}."
        )
        target_text = (
            f"Column `{data['target']}`; a row is bad when it equals `{data['bad_value']}`."
        )
    feature_rows = ["| feature | kind | in scorecard | information value |", "|---|---|---|---|"]
    for name, kind in zip(table.features, table.kinds, strict=True):
        c = kept.get(name)
        iv = f"{c.information_value:.3f}" if c else "-"
        feature_rows.append(f"| {name} | {kind} | {'yes' if c else 'no'} | {iv} |")
    serving = trained.decision.serving
    cut = trained.cutoffs
    scale = trained.scaling
    limitations = [
        "- Measured on the data above only; performance on real applicants must be "
        "confirmed on real outcomes before grades inform lending decisions.",
        "- Behavioural data describe online activity, which differs across regions, "
        "occupations and generations; people with little online history get "
        "INSUFFICIENT_DATA rather than a grade.",
        "- Population drift is checked with `scorelink model monitor` (PSI flags at 0.10 "
        "and 0.25); a SHIFT calls for review or retraining.",
    ]
    if data.get("source") == "synthetic":
        limitations.insert(
            0,
            "- Trained on a synthetic population: its grades say nothing about real people "
            "until it is retrained on real repayment outcomes.",
        )
    # Each block is one paragraph, table or list; blocks are separated by blank lines.
    blocks = [
        f"# Model card: {config.version}",
        f"Created {config.created_at}. Serving model: **{serving}** "
        f"(scorecard sha256 `{config.scorecard_sha256}`).",
        f"## Data\n\n{data_text}",
        f"## Target\n\n{target_text}",
        "## Features\n\n" + "\n".join(feature_rows),
        "## Metrics (stratified 5-fold cross-validation, the same folds for every model)\n\n"
        "Mean over the five folds ± fold-to-fold standard deviation. The champion and the "
        "challenger are the models of this version; "
        + (
            ", ".join(f"`{name}`" for name in trained.baselines)
            + " are baselines, measured only (see `scoring_engine/baselines.py`).\n\n"
            if trained.baselines
            else "no baselines were evaluated (quick start).\n\n"
        )
        + "\n".join(measures_table(trained.measures)),
        f"## Calibration by grade ({serving})\n\n"
        + "\n".join(grades_table(trained.measures[serving])),
        "## Scaling and grade cut-offs\n\n"
        f"{scale.anchor_score:g} points at {scale.anchor_odds:g}:1 good:bad odds, "
        f"{scale.points_to_double_odds:g} points to double the odds, clipped "
        f"{scale.minimum}-{scale.maximum}. Grades by probability of default: "
        f"A < {cut.a:.0%}, B {cut.a:.0%}-{cut.b:.0%}, C {cut.b:.0%}-{cut.c:.0%}, "
        f"D >= {cut.c:.0%}.",
        "## Promotion decision\n\n"
        + "\n".join(f"- {reason}" for reason in trained.decision.reasons),
        "## Warnings\n\n" + ("\n".join(f"- {w}" for w in trained.warnings) or "None."),
        "## Limitations\n\n" + "\n".join(limitations),
        "## Fairness report\n\n" + _fairness_section(trained),
        "## Fairness statement\n\n"
        "No protected attribute (gender, ethnicity, religion, health, age) is a model input; "
        "the feature list above is asserted by the test suite. Account age measures how long "
        "an account has existed, not how old its holder is, but it can correlate with age: "
        "outcomes by age band should be reviewed on real data wherever ages are lawfully held.",
    ]
    return "\n\n".join(blocks) + "\n"


def _fairness_section(trained: TrainedModels) -> str:
    if not trained.fairness:
        return "No protected column was given (`model train --protected COL[,COL]`)."
    parts = [
        f"Serving model ({trained.decision.serving}), out-of-fold PDs. Approval rate when "
        "approving grades up to A, B or C, and in brackets the adverse impact ratio (the "
        "group's rate over the best group's); `!` marks a ratio below the four-fifths rule."
    ]
    for report in trained.fairness:
        document = report.to_mapping()
        rows = [list(FAIRNESS_COLUMNS), ["---"] * len(FAIRNESS_COLUMNS), *fairness_rows(document)]
        parts.append(f"### `{report.column}` (never a model input)")
        parts.append("\n".join("| " + " | ".join(row) + " |" for row in rows))
        parts.append("\n".join(f"- warning: {w}" for w in report.warnings) or "No warning.")
    return "\n\n".join(parts)


def _roc_plot(path: Path, trained: TrainedModels) -> None:
    figure, axes = plt.subplots(figsize=(5, 5))
    bad = trained.table.bad
    for name in MODELS:
        pd = trained.out_of_fold[name]
        order = np.argsort(-pd, kind="mergesort")
        tpr = np.concatenate([[0.0], np.cumsum(bad[order]) / bad.sum()])
        fpr = np.concatenate([[0.0], np.cumsum(~bad[order]) / (~bad).sum()])
        axes.plot(fpr, tpr, label=f"{name} (AUC {trained.measures[name].auc:.3f})")
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, out of fold")
    axes.legend(loc="lower right")
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)


def _calibration_plot(path: Path, trained: TrainedModels) -> None:
    figure, axes = plt.subplots(figsize=(5, 5))
    bad = trained.table.bad
    top = 0.0
    for name in MODELS:
        pd = trained.out_of_fold[name]
        deciles = np.array_split(np.argsort(pd, kind="mergesort"), 10)
        predicted = [float(pd[d].mean()) for d in deciles]
        observed = [float(bad[d].mean()) for d in deciles]
        top = max(top, *predicted, *observed)
        axes.plot(predicted, observed, marker="o", label=name)
    axes.plot([0, top], [0, top], linestyle=":", color="grey")
    axes.set(
        xlabel="mean predicted PD",
        ylabel="observed default rate",
        title="Calibration by decile, out of fold",
    )
    axes.legend(loc="upper left")
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
