"""Training shows each stage: plain lines in a log or pipe, one rewritten line on a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from scoring_engine.progress import StageLines
from scoring_engine.registry import ensure_model
from scoring_engine.tabular import read_training_csv
from scoring_engine.training import train
from scoring_tables import write_loans


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stages_are_plain_lines_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    lines = StageLines(stream, prefix="training ")
    lines("fold 1/5: champion")
    lines("fold 1/5: challenger")
    lines.finish()
    written = stream.getvalue().splitlines()
    assert len(written) == 2
    assert written[0].startswith("training [")
    assert written[0].endswith("] fold 1/5: champion")
    assert "\r" not in stream.getvalue()


def test_on_a_terminal_each_stage_rewrites_the_line_and_finish_ends_it() -> None:
    stream = _Terminal()
    lines = StageLines(stream)
    lines("fold 1/5: champion")
    lines("fold 1/5: challenger")
    assert "\n" not in stream.getvalue()
    assert stream.getvalue().count("\r\x1b[2K") == 2
    lines.finish()
    assert stream.getvalue().endswith("fold 1/5: challenger\n")


def test_training_reports_every_model_of_every_fold_then_the_refits(tmp_path: Path) -> None:
    data = tmp_path / "loans.csv"
    write_loans(data, rows=400)
    stages: list[str] = []
    train(read_training_csv(data, "status", "bad"), seed=1, progress=stages.append)
    folds = [s for s in stages if s.startswith("cross-validation")]
    assert len(folds) == 5 * 5
    assert folds[0] == "cross-validation fold 1/5: champion"
    assert folds[-1] == "cross-validation fold 5/5: gradient_boosting"
    assert stages[len(folds) :] == [
        "refitting the champion scorecard on all rows",
        "refitting the challenger on all rows",
        "applying the promotion rule",
    ]


def test_the_sandbox_first_training_is_not_silent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small population keeps the test quick; the stages are the same as the default's.
    from scoring_engine import training

    monkeypatch.setattr(training, "DEFAULT_PEOPLE", 3_000)
    ensure_model(tmp_path / "models")
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("training the sandbox model (first start only) [")
    assert err[0].endswith("loading scikit-learn and matplotlib")
    assert err[1].endswith("generating the synthetic population")
    assert any(line.endswith("cross-validation fold 5/5: challenger") for line in err)
    assert not any("random_forest" in line for line in err), "the quick start skips baselines"
    assert err[-1].endswith("writing metrics.json, MODEL_CARD.md and plots")
