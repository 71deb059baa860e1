"""Every bad training file of the issue gets one clear error line (exit 2) and leaves no model
version behind; files that are odd but usable (semicolons, an all-missing column, a leaking
column) train, and the output says what was noticed."""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson
import pytest

from scoring_engine.registry import list_versions
from scoring_engine.version_files import VERSIONS
from scoring_tables import write_loans
from server.model_commands import EXIT_BAD_INPUT, EXIT_OK, register, train_command


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scorelink")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def _train(data: Path, *extra: str, target: str = "status") -> int:
    args = _parse("model", "train", "--data", str(data), "--target", target, "--bad", "bad", *extra)
    return train_command(args)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(tmp_path / "models"))
    return tmp_path / "models"


def _rows(count: int, status: str) -> str:
    return "".join(f"{i},{status.format(i=i)}\n" for i in range(count))


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        pytest.param(
            "income,status\n" + _rows(300, "bad"),
            (),
            "every row has status = 'bad': no goods to learn from",
            id="one class only",
        ),
        pytest.param(
            "income,status\n" + _rows(300, "good"),
            (),
            "no row has status = 'bad'; values seen: good",
            id="no bad at all",
        ),
        pytest.param(
            "income,status\n"
            + "".join(f"{i},{('good', 'bad', 'late')[i % 3]}\n" for i in range(300)),
            (),
            "status has 3 values (bad, good, late): a training outcome needs exactly two",
            id="three-valued target",
        ),
        pytest.param(
            "income,outcome\n" + _rows(300, "bad"),
            (),
            "no column 'status'; the columns are income, outcome",
            id="target absent",
        ),
        pytest.param(
            "income,notes,status\n" + "".join(f",,{('good', 'bad')[i % 2]}\n" for i in range(300)),
            (),
            "no usable feature column besides the target (left out: income: all missing; "
            "notes: all missing)",
            id="every column missing",
        ),
        pytest.param(
            "income,status\n" + "".join(f"{i},{('good', 'bad')[i % 3 == 0]}\n" for i in range(150)),
            (),
            "150 rows with an outcome: need at least 200 to train and measure a model",
            id="fewer than 200 rows",
        ),
        pytest.param(
            "income,status\n" + "".join(f"{i},{('good', 'bad')[i % 3 == 0]}\n" for i in range(300)),
            ("--protected", "gender,income"),
            "--protected names columns that are not in the file: gender; the columns are "
            "income, status",
            id="unknown protected column",
        ),
    ],
)
def test_a_bad_training_file_is_one_error_line_and_writes_nothing(
    root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    extra: tuple[str, ...],
    message: str,
) -> None:
    data = tmp_path / "loans.csv"
    data.write_text(content, encoding="utf-8")
    assert _train(data, *extra) == EXIT_BAD_INPUT
    error_lines = [
        line for line in capsys.readouterr().err.splitlines() if line.startswith("error")
    ]
    assert len(error_lines) == 1
    assert message in error_lines[0]
    assert list_versions(root) == []
    assert not (root / VERSIONS).exists() or not any((root / VERSIONS).iterdir())


def test_a_file_that_is_not_utf8_says_so(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "loans.csv"
    data.write_bytes(
        "région,status\n".encode("latin-1") + b"".join(b"1,bad\n0,good\n" for _ in range(150))
    )
    assert _train(data) == EXIT_BAD_INPUT
    assert "is not a UTF-8 text file (byte 1): save it as UTF-8 CSV" in capsys.readouterr().err
    assert list_versions(root) == []


def test_a_100_mb_file_is_refused_before_it_is_read(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "huge.csv"
    with data.open("wb") as handle:
        handle.truncate(100 * 2**20)  # sparse: 100 MB on paper, nothing on disk
    assert _train(data) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "huge.csv is 100 MB; the most read at once is 50 MB" in err
    assert "train on a random sample" in err
    assert list_versions(root) == []


def test_a_semicolon_file_with_decimal_commas_is_detected_and_trains(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "loans.csv"
    write_loans(data, rows=600, delimiter=";")
    text = data.read_text(encoding="utf-8")
    data.write_text(text.replace(".", ","), encoding="utf-8")  # 0,412 for 0.412
    assert _train(data) == EXIT_OK
    out = capsys.readouterr().out
    assert "read 600 rows (semicolon-separated)" in out
    [version] = list_versions(root)
    model = orjson.loads((root / VERSIONS / version.version / "model.json").read_bytes())
    kinds = dict(zip(model["features"], model["kinds"], strict=True))
    assert kinds["income"] == kinds["utilisation"] == "numeric"
    assert kinds["region"] == "categorical"


def test_an_all_missing_column_is_left_out_and_said_so(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "loans.csv"
    write_loans(data, rows=600)
    lines = data.read_text(encoding="utf-8").splitlines()
    data.write_text(
        "\n".join([lines[0] + ",bureau_score", *(line + "," for line in lines[1:])]) + "\n",
        encoding="utf-8",
    )
    assert _train(data) == EXIT_OK
    assert "column 'bureau_score' left out: all missing" in capsys.readouterr().out


def test_a_column_that_is_the_target_in_disguise_trains_with_a_leakage_warning(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "loans.csv"
    write_loans(data, rows=600)
    lines = data.read_text(encoding="utf-8").splitlines()
    # Days past due, known only once the loan went bad: 0 for goods, 30-119 for bads.
    leaked = [
        line + "," + (str(30 + i % 90) if line.endswith(",bad") else "0")
        for i, line in enumerate(lines[1:])
    ]
    data.write_text("\n".join([lines[0] + ",days_past_due", *leaked]) + "\n", encoding="utf-8")
    assert _train(data) == EXIT_OK
    out = capsys.readouterr().out
    assert (
        "warning: column 'days_past_due' alone separates goods from bads (AUC 1.0000): it is "
        "probably the outcome in disguise (leakage)"
    ) in out
    [version] = list_versions(root)
    metrics = orjson.loads((root / VERSIONS / version.version / "metrics.json").read_bytes())
    assert any("days_past_due" in w for w in metrics["warnings"])
    card = (root / VERSIONS / version.version / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "days_past_due" in card.split("## Warnings")[1]
