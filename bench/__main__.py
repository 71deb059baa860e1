"""`make bench`: run every benchmark, print each one's table, and write a Markdown summary.

Each benchmark module writes its own JSON under bench/results/; the summary collects them in
`bench/results/summary.md` with the machine it ran on, for BENCHMARKS.md to quote.
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import (
    bench_assessments,
    bench_events,
    bench_http_load,
    bench_linking,
    bench_partner_read,
    bench_rescore,
    bench_scale,
    bench_scoring,
    bench_statements,
    bench_training,
)

SUMMARY = Path(__file__).parent / "results" / "summary.md"
BENCHMARKS = {
    "scoring": bench_scoring,
    "training": bench_training,
    "linking": bench_linking,
    "partner_read": bench_partner_read,
    "http_load": bench_http_load,
    "statements": bench_statements,
    "scale": bench_scale,
    "events": bench_events,
    "rescore": bench_rescore,
    "assessments": bench_assessments,
}


def _memory_gib() -> str:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return "unknown"
    return f"{pages / 2**30:.0f} GiB"


def _rows(name: str, figures: dict[str, Any], prefix: str = "") -> list[str]:
    rows = []
    for key, value in figures.items():
        if isinstance(value, dict):
            rows.extend(_rows(name, value, f"{prefix}{key}."))
        else:
            rows.append(f"| {name} | {prefix}{key} | {value} |")
    return rows


def _misses(module: Any, results: dict[str, Any]) -> list[str]:
    """Figures past the targets their benchmark declares: TARGETS are upper bounds, FLOORS
    lower bounds. A figure the run could not measure (None) is a miss too."""
    targets: dict[str, float | None] = getattr(module, "TARGETS", {})
    floors: dict[str, float] = getattr(module, "FLOORS", {})
    figures = results.get("figures", results)
    misses = [
        f"{key} = {figures[key]:.4g} > {target:g}"
        for key, target in targets.items()
        if target is not None and figures.get(key) is not None and figures[key] > target
    ]
    misses += [
        f"{key} = {figures[key]:.4g} < {floor:g}"
        for key, floor in floors.items()
        if figures.get(key) is not None and figures[key] < floor
    ]
    misses += [
        f"{key} not measured"
        for key in [*targets, *floors]
        if key in figures and figures[key] is None
    ]
    return misses


def main() -> None:
    machine = f"{os.cpu_count()} cores, {_memory_gib()}, Python {platform.python_version()}"
    lines = [
        f"# Benchmark run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine}. Command: `make bench`.",
        "",
        "| benchmark | figure | value |",
        "|---|---|---|",
    ]
    misses: list[str] = []
    for name, module in BENCHMARKS.items():
        print(f"== {name}")
        module.main()  # prints its table and writes module.RESULTS
        results = orjson.loads(module.RESULTS.read_bytes())
        lines.extend(_rows(name, results))
        misses.extend(f"{name}: {miss}" for miss in _misses(module, results))
    verdict = "PASS: every declared target met" if not misses else "FAIL: " + "; ".join(misses)
    lines += ["", verdict]
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text("\n".join(lines) + "\n")
    print(f"summary written to {SUMMARY}")
    print(verdict)
    if misses:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
