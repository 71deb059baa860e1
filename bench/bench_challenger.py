"""Is the challenger worth promoting? Mean cross-validated AUC of every model on the synthetic
population and on four generated credit tables (``bench.credit_tables``), on report seeds
never used while tuning the challenger.

Run with ``python -m bench.bench_challenger`` (``--development`` for the tuning seeds);
prints a table and writes ``bench/results/challenger.json``. Every figure is reported,
misses included.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from bench.credit_tables import DEVELOPMENT_SEEDS, REPORT_SEEDS, TABLES, write_table
from scoring_engine.tabular import TrainingTable, read_training_csv
from scoring_engine.training import synthetic_table, train

RESULTS = Path(__file__).parent / "results" / "challenger.json"
_SYNTHETIC_REPORT_SEED = 424_242  # not the default model's population
_SYNTHETIC_DEVELOPMENT_SEED = 31_337
_SYNTHETIC_PEOPLE = 30_000


def _tables(development: bool) -> dict[str, TrainingTable]:
    seeds = DEVELOPMENT_SEEDS[:1] if development else REPORT_SEEDS
    synthetic_seed = _SYNTHETIC_DEVELOPMENT_SEED if development else _SYNTHETIC_REPORT_SEED
    tables = {"synthetic": synthetic_table(synthetic_seed, _SYNTHETIC_PEOPLE)}
    with tempfile.TemporaryDirectory() as directory:
        for name in TABLES:
            for seed in seeds:
                path = Path(directory) / f"{name}-{seed}.csv"
                write_table(name, seed, path)
                tables[name] = read_training_csv(path, "default", "1")
    return tables


def run(development: bool = False) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, table in _tables(development).items():
        trained = train(table, seed=1)
        models = {
            model: {"auc": m.mean("auc"), "auc_std": m.std("auc"), "brier": m.mean("brier")}
            for model, m in trained.measures.items()
        }
        best = max(trained.baselines, key=lambda b: models[b]["auc"])
        figures[name] = {
            "rows": len(table.bad),
            "bad_rate": float(table.bad.mean()),
            "models": models,
            "best_baseline": best,
            "challenger_at_least_best_baseline": models["challenger"]["auc"] >= models[best]["auc"],
            "serving": trained.decision.serving,
        }
    return figures


def main() -> None:
    development = "--development" in sys.argv
    figures = run(development)
    names = ["champion", "challenger", "logistic_one_hot", "random_forest", "gradient_boosting"]
    print(f"{'table':<22}{'rows':>7}" + "".join(f"{n[:17]:>19}" for n in names) + "  ≥ best")
    for table, f in figures.items():
        cells = "".join(
            f"{f['models'][n]['auc']:>11.4f} ±{f['models'][n]['auc_std']:.4f}" for n in names
        )
        verdict = "yes" if f["challenger_at_least_best_baseline"] else "NO"
        print(f"{table:<22}{f['rows']:>7}{cells}  {verdict}")
    if not development:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
