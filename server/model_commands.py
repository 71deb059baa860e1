"""`scorelink model ...`: train, list, promote, evaluate and monitor model versions.

Handlers translate arguments and call the scoring engine; they print tables for people and
return an exit code: 0 done, 1 the check found a problem (monitor SHIFT), 2 bad input.
The model root is ``$SCORELINK_MODEL_DIR`` (default ``var/models``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from domain.population_rescoring import DEFAULT_CHUNK_SIZE, DEFAULT_LEASE
from scoring_engine.evaluation import COLUMNS, comparison_rows
from scoring_engine.fairness import FAIRNESS_COLUMNS, fairness_rows
from scoring_engine.markets import MarketLine, monitor_markets
from scoring_engine.model import LoadedModel
from scoring_engine.monitoring import MonitoringReport, Stability, monitor
from scoring_engine.progress import StageLines
from scoring_engine.registry import (
    RegistryError,
    evaluate_version,
    list_versions,
    load_promoted,
    load_version,
    promote_version,
    train_version,
    version_metrics,
)
from scoring_engine.synthetic import DEFAULT_SEED
from scoring_engine.tabular import (
    RecentScores,
    TabularError,
    read_recent_scores,
    read_training_csv,
)

EXIT_OK = 0
EXIT_FLAGGED = 1
EXIT_BAD_INPUT = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``model`` command group to the main parser."""
    group = subparsers.add_parser("model", help="train, evaluate, promote and monitor models")
    commands = group.add_subparsers(dest="model_command", required=True)

    train = commands.add_parser("train", help="train a new model version")
    train.add_argument("--data", type=Path, help="CSV file (default: synthetic population)")
    train.add_argument("--target", help="outcome column of the CSV")
    train.add_argument("--bad", help="value of the outcome column that means default")
    train.add_argument(
        "--protected",
        default="",
        metavar="COL[,COL]",
        help="protected columns of the CSV: never features, reported on in the fairness report "
        "(the synthetic population reports its own age_band)",
    )
    train.add_argument("--seed", type=int, default=DEFAULT_SEED)
    train.add_argument("--promote", action="store_true", help="serve it once trained")
    train.set_defaults(func=train_command)

    listing = commands.add_parser("list", help="list model versions")
    listing.set_defaults(func=list_command)

    promote = commands.add_parser("promote", help="serve a version")
    promote.add_argument("version")
    promote.set_defaults(func=promote_command)

    evaluate = commands.add_parser("evaluate", help="measure a version on a labelled CSV")
    evaluate.add_argument("version")
    evaluate.add_argument("--data", type=Path, required=True)
    evaluate.add_argument("--target", required=True)
    evaluate.add_argument("--bad", required=True)
    evaluate.set_defaults(func=evaluate_command)

    watch = commands.add_parser("monitor", help="population stability against the baseline")
    watch.add_argument(
        "--scores-file",
        type=Path,
        help="JSON list of objects, or CSV, with a 'score' column and optionally one column "
        "per model feature (omitted: the last --days of reports in the database)",
    )
    watch.add_argument("--days", type=int, default=30, help="window of recent reports (days)")
    watch.set_defaults(func=monitor_command)

    rescore = commands.add_parser(
        "rescore",
        help="re-score everyone with a report with the promoted model, in resumable chunks; "
        "run several at once to share the work",
    )
    rescore.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        help=f"people per chunk when a run is planned (default {DEFAULT_CHUNK_SIZE}); "
        "a resumed run keeps its own",
    )
    rescore.add_argument(
        "--lease-seconds",
        type=float,
        default=DEFAULT_LEASE.total_seconds(),
        help="how long a chunk stays with this process before another may take it "
        f"(default {DEFAULT_LEASE.total_seconds():.0f})",
    )
    # Needs the database: server/cli.py runs it (server/rescore_command.py).
    rescore.set_defaults(func=None)


def model_root() -> Path:
    return Path(os.environ.get("SCORELINK_MODEL_DIR", "var/models"))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def train_command(args: argparse.Namespace) -> int:
    # Imported here: training pulls in scikit-learn, which other commands (and `serve`,
    # which shares this command line) should not pay for.
    from scoring_engine.training import TrainingError

    csv_options = (args.data, args.target, args.bad)
    if any(option is not None for option in csv_options) and None in csv_options:
        return _fail("--data, --target and --bad go together")
    protected = tuple(name.strip() for name in args.protected.split(",") if name.strip())
    if protected and args.data is None:
        return _fail(
            "--protected names columns of --data; the synthetic population reports its own age_band"
        )
    progress = StageLines(prefix="training ")
    try:
        table = (
            None
            if args.data is None
            else read_training_csv(args.data, args.target, args.bad, protected)
        )
        version = train_version(model_root(), table, seed=args.seed, progress=progress)
        if args.promote:
            promote_version(model_root(), version)
    except (TabularError, TrainingError, RegistryError) as error:
        progress.finish()
        return _fail(str(error))
    progress.finish()
    metrics = version_metrics(model_root(), version)
    model = load_version(model_root(), version)
    print(f"trained {version} in {metrics['training_seconds']} s")
    data = metrics["trained_on"]
    if data.get("source") == "csv":
        separator = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}[data["separator"]]
        print(f"read {data['rows']} rows ({separator}-separated); bad rate {data['bad_rate']:.2%}")
        for name, why in data["left_out"].items():
            print(f"  column {name!r} left out: {why}")
    folds = metrics["folds"]
    print(
        f"\n{folds['count']}-fold stratified cross-validation, the same folds for every model "
        f"({', '.join(map(str, folds['rows_per_fold']))} rows); fold mean ± fold std:"
    )
    # metrics.json sorts its keys; the table keeps the report's order, models then baselines.
    order = ["champion", "challenger", *metrics["baselines"]]
    print(_table(["model", *COLUMNS], comparison_rows({n: metrics["models"][n] for n in order})))
    print(f"\ncalibration by grade ({model.config.serving}, 5-fold out of fold):")
    print(_grade_table(metrics["models"][model.config.serving]["calibration_by_grade"]))
    for warning in metrics["warnings"]:
        print(f"\nwarning: {warning}")
    for report in metrics["fairness"]:
        print(
            f"\nfairness by {report['column']} (not a model input; {model.config.serving}, "
            "out of fold; approval rate when approving up to each grade, impact ratio):"
        )
        print(_table(list(FAIRNESS_COLUMNS), fairness_rows(report)))
        for warning in report["warnings"]:
            print(f"warning: {warning}")
    print("\npromotion rule:")
    for reason in model.config.promotion_reasons:
        print(f"  {reason}")
    if model.config.serving == "champion":
        print("challenger refused: it does not meet every condition above (not met)")
    print(f"serving: {model.config.serving}{'; promoted' if args.promote else ''}")
    return EXIT_OK


def list_command(args: argparse.Namespace) -> int:
    versions = list_versions(model_root())
    if not versions:
        print(f"no model versions under {model_root()}")
        return EXIT_OK
    rows = [
        [
            ("* " if v.promoted else "  ") + v.version,
            v.created_at[:19],
            v.trained_on,
            v.serving,
            f"{v.auc:.4f}",
            "yes" if v.scores_applicants else "no",
        ]
        for v in versions
    ]
    print(
        _table(["version (* promoted)", "created", "data", "serving", "AUC", "scores people"], rows)
    )
    return EXIT_OK


def promote_command(args: argparse.Namespace) -> int:
    try:
        promote_version(model_root(), args.version)
    except RegistryError as error:
        return _fail(str(error))
    print(f"promoted {args.version}")
    return EXIT_OK


def evaluate_command(args: argparse.Namespace) -> int:
    try:
        measures = evaluate_version(model_root(), args.version, args.data, args.target, args.bad)
    except (TabularError, RegistryError) as error:
        return _fail(str(error))
    print(
        _table(
            ["model", *COLUMNS], comparison_rows({n: m.to_mapping() for n, m in measures.items()})
        )
    )
    for name, m in measures.items():
        print(f"\ncalibration by grade ({name}):")
        print(_grade_table([g.__dict__ for g in m.grades]))
    return EXIT_OK


RecentScoresFeed = Callable[[LoadedModel], RecentScores]


def monitor_command(args: argparse.Namespace, recent: RecentScoresFeed | None = None) -> int:
    """Compare recent scores with the baseline, overall and per market (the person's country):
    from `--scores-file`, else from `recent`."""
    if args.scores_file is None and recent is None:
        return _fail("pass --scores-file with recent scores")
    try:
        model = load_promoted(model_root())
        if args.scores_file is not None:
            found = read_recent_scores(args.scores_file, model.config.features)
        else:
            assert recent is not None  # noqa: S101 - checked above
            found = recent(model)
        report = monitor(model.baseline, model.scorecard, found.scores, found.features)
        markets = (
            monitor_markets(
                model.baseline, model.config.scaling, found.scores, found.countries, found.defaulted
            )
            if found.countries is not None
            else ()
        )
    except (RegistryError, TabularError, ValueError) as error:
        return _fail(str(error))
    print(f"model {model.version}; {report.population} recent scores")
    print(format_monitoring(report))
    if markets:
        print("\nby market (country of the phone number):")
        print(format_markets(markets))
    flags = [report.worst, *(line.worst for line in markets)]
    return EXIT_FLAGGED if Stability.SHIFT in flags else EXIT_OK


def format_monitoring(report: MonitoringReport) -> str:
    lines = [report.score, *report.characteristics]
    return _table(
        ["measure", "PSI", "flag"], [[s.name, f"{s.psi:.4f}", s.flag.value] for s in lines]
    )


def format_markets(markets: Sequence[MarketLine]) -> str:
    rows = [
        [
            m.country,
            str(m.population),
            f"{m.psi:.4f}",
            m.flag.value,
            f"{m.mean_predicted_pd:.2%}",
            "-" if m.observed_default_rate is None else f"{m.observed_default_rate:.2%}",
            str(m.with_outcome),
            "-" if m.calibration_flag is None else m.calibration_flag.value,
        ]
        for m in markets
    ]
    header = ["country", "scores", "PSI", "drift", "predicted PD", "observed", "outcomes"]
    return _table([*header, "calibration"], rows)


def _grade_table(grades: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        [
            str(g["grade"]),
            str(g["count"]),
            f"{float(g['mean_predicted']):.2%}",
            f"{float(g['observed']):.2%}",
        ]
        for g in grades
    ]
    return _table(["grade", "people", "predicted PD", "observed"], rows)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines
    )
