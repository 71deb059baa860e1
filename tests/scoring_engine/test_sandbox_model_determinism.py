"""The model `make run` trains on its first start scores the sandbox personas alike on any
machine: README's sandbox assessment table (tests/server/test_assessment_personas.py) rests on
their grades and on champion and challenger agreeing. Two fresh trainings in separate
processes, the second with another BLAS kernel and more threads (as another CPU or a busier
machine would give), score every persona the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from live_server import REPOSITORY

# Trains the sandbox model as `make run` does (ensure_model) and prints each persona's grade,
# score and both models' 12-month PDs.
TRAIN_AND_SCORE = """
import json, sys
from datetime import date
from pathlib import Path
from scoring_engine.registry import ensure_model, load_challenger
from scoring_engine.report import score
from scoring_engine.second_opinion import second_opinion
from scoring_engine.synthetic import PERSONAS, persona

root = Path(sys.argv[1])
model = ensure_model(root)
challenger = load_challenger(root, model.version)
scored = {}
for name in PERSONAS:
    data = persona(name, date(2026, 12, 1))
    report = score(model, data)
    scored[name] = [report.grade, report.score, report.default_probability,
                    second_opinion(model, challenger, data)]
print(json.dumps(scored))
"""
ANOTHER_MACHINE = {"OPENBLAS_CORETYPE": "Prescott", "OMP_NUM_THREADS": "2"}


def _train(root: Path, environ: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", TRAIN_AND_SCORE, str(root)],
        env={**os.environ, **environ},
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _scored(training: subprocess.Popen[str]) -> dict[str, list[Any]]:
    out, _ = training.communicate(timeout=900)
    assert training.returncode == 0
    scored: dict[str, list[Any]] = json.loads(out)
    return scored


def test_two_fresh_trainings_score_every_sandbox_persona_alike(tmp_path: Path) -> None:
    here = _train(tmp_path / "here", {})
    elsewhere = _train(tmp_path / "elsewhere", ANOTHER_MACHINE)
    first, second = _scored(here), _scored(elsewhere)

    assert first.keys() == second.keys()
    for name, (grade, points, champion, challenger) in first.items():
        assert second[name][:2] == [grade, points], name
        for mine, theirs in ((champion, second[name][2]), (challenger, second[name][3])):
            assert (mine is None) == (theirs is None), name
            if mine is not None:
                assert abs(mine - theirs) < 1e-9, name
