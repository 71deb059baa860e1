"""Scoring engine benchmarks against the issue's performance targets.

Run with ``python -m bench.bench_scoring``; prints a table and writes
``bench/results/scoring.json``. ``run()`` returns the figures for an aggregator.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import orjson

from scoring_engine.registry import load_version, train_version
from scoring_engine.report import score, score_batch
from scoring_engine.synthetic import generate, persona

RESULTS = Path(__file__).parent / "results" / "scoring.json"
TARGETS = {
    "single_score_median_us": 100.0,
    "batch_100k_seconds": 2.0,
    "training_seconds": 60.0,
    "loaded_model_mb": 50.0,
}
_WHEN = datetime(2025, 1, 1, tzinfo=UTC)
_SINGLE_RUNS = 5_000
_BATCH_PEOPLE = 100_000


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        started = time.perf_counter()
        version = train_version(root)
        training_seconds = time.perf_counter() - started

        tracemalloc.start()
        model = load_version(root, version)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    person = persona("grade_b")
    score(model, person, computed_at=_WHEN)  # warm caches before timing
    timings = []
    for _ in range(_SINGLE_RUNS):
        begin = time.perf_counter_ns()
        score(model, person, computed_at=_WHEN)
        timings.append(time.perf_counter_ns() - begin)

    population = generate(_BATCH_PEOPLE, seed=99)
    people = [population.applicant(i) for i in range(len(population))]
    begin_batch = time.perf_counter()
    score_batch(model, people, computed_at=_WHEN)
    batch_seconds = time.perf_counter() - begin_batch

    return {
        "single_score_median_us": statistics.median(timings) / 1_000,
        "batch_100k_seconds": batch_seconds,
        "training_seconds": training_seconds,
        "loaded_model_mb": peak / 2**20,
    }


def main() -> None:
    figures = run()
    print(f"{'measure':<26}{'value':>12}{'target':>12}  met")
    for name, value in figures.items():
        target = TARGETS[name]
        print(f"{name:<26}{value:>12.3f}{target:>12.1f}  {'yes' if value <= target else 'NO'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
