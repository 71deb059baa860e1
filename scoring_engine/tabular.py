"""Tables read from files: training and evaluation CSVs with a good/bad outcome column,
and files of recent scores for monitoring.

Column types are detected, not declared: a column is numeric when every non-missing cell
parses as a finite number, categorical otherwise. A column that is numeric except for a few
cells is an error rather than a guess (those cells are garbage, not categories). Missing
cells are empty or one of ``MISSING_TOKENS``. Categories keep their most frequent levels and
pool the rest as ``OTHER``; constant columns and free-text identifiers are left out.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from scoring_engine.binning import Kind
from scoring_engine.features import APPLIES_IF, FEATURE_NAMES, RISK_DIRECTION
from scoring_engine.markets import country_of_phone

Array = NDArray[np.float64]

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})
OTHER = "(other)"
MAX_LEVELS = 30
MIN_LEVEL_SHARE = 0.01
MOSTLY_NUMERIC = 0.9
"""Share of parseable cells above which the rest are treated as garbage, not categories."""
MAX_FILE_BYTES = 50 * 2**20
"""Largest file read: about 500,000 rows of ten columns, minutes of training. A bigger file
is refused before a byte is read, with a message saying to sample it."""
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


class TabularError(ValueError):
    """The file cannot be used as a training or evaluation table; the message says why."""


@dataclass(frozen=True)
class TrainingTable:
    """Features (n, F) with NaN for missing (categories as codes into ``categories``), the
    outcome, and what the models need to know about each column."""

    x: Array
    bad: NDArray[np.bool_]
    features: tuple[str, ...]
    kinds: tuple[Kind, ...]
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    monotonic: tuple[int, ...] = ()
    applies_if: dict[str, str] = field(default_factory=dict)
    description: dict[str, Any] = field(default_factory=dict)
    protected: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Protected columns (group label per row): never features, only the fairness report."""

    @property
    def categorical(self) -> tuple[bool, ...]:
        return tuple(kind == "categorical" for kind in self.kinds)


def read_training_csv(
    path: Path, target: str, bad_value: str, protected: Sequence[str] = ()
) -> TrainingTable:
    """Read a CSV for training: detect column types and encode them. ``protected`` columns
    are kept out of the features and carried, as labels, for the fairness report."""
    header, rows, separator = _read_rows(path)
    unknown = [name for name in protected if name not in header]
    if unknown:
        raise TabularError(
            f"--protected names columns that are not in the file: {', '.join(unknown)}; "
            f"the columns are {', '.join(header)}"
        )
    if target in protected:
        raise TabularError(f"the target {target!r} cannot also be a protected column")
    bad, kept_rows = _outcome(header, rows, target, bad_value)
    features: list[str] = []
    kinds: list[Kind] = []
    columns: list[Array] = []
    categories: dict[str, tuple[str, ...]] = {}
    left_out: dict[str, str] = {}
    for index, name in enumerate(header):
        if name == target or name in protected:
            continue
        cells = [rows[r][index] for r in kept_rows]
        present = [c for c in cells if not _is_missing(c)]
        if not present:
            left_out[name] = "all missing"
            continue
        if len(set(present)) <= 1:
            left_out[name] = "constant"
            continue
        numbers, failures = _parse_numbers(cells)
        if not failures:
            features.append(name)
            kinds.append("numeric")
            columns.append(numbers)
            continue
        if len(present) - len(failures) >= MOSTLY_NUMERIC * len(present):
            raise _garbage(name, cells, kept_rows, failures)
        if len(set(present)) == len(present) and len(present) > MAX_LEVELS:
            left_out[name] = "identifier (every value distinct)"
            continue
        levels = _levels(present)
        categories[name] = levels
        features.append(name)
        kinds.append("categorical")
        columns.append(_encode(cells, levels))
    if not features:
        reasons = "; ".join(f"{name}: {why}" for name, why in left_out.items())
        raise TabularError(
            "no usable feature column besides the target"
            + (f" (left out: {reasons})" if reasons else "")
        )
    groups = {
        name: tuple(
            "(missing)" if _is_missing(c) else c.strip()
            for c in (rows[r][header.index(name)] for r in kept_rows)
        )
        for name in protected
    }
    description = {
        "source": "csv",
        "path": str(path),
        "separator": separator,
        "target": target,
        "bad_value": bad_value,
        "rows": len(kept_rows),
        "rows_without_target": len(rows) - len(kept_rows),
        "bad_rate": float(bad.mean()),
        "left_out": left_out,
    }
    x = np.column_stack(columns)
    if set(features) == set(FEATURE_NAMES):
        # An export of our own features: keep their order, directions and gates.
        order = [features.index(name) for name in FEATURE_NAMES]
        return TrainingTable(
            x=x[:, order],
            bad=bad,
            features=FEATURE_NAMES,
            kinds=tuple(kinds[i] for i in order),
            monotonic=tuple(RISK_DIRECTION[name] for name in FEATURE_NAMES),
            applies_if=APPLIES_IF,
            description=description,
            protected=groups,
        )
    return TrainingTable(
        x=x,
        bad=bad,
        features=tuple(features),
        kinds=tuple(kinds),
        categories=categories,
        monotonic=(0,) * len(features),
        description=description,
        protected=groups,
    )


def read_evaluation_csv(
    path: Path,
    target: str,
    bad_value: str,
    features: Sequence[str],
    kinds: Sequence[Kind],
    categories: dict[str, tuple[str, ...]],
) -> tuple[Array, NDArray[np.bool_]]:
    """Read a CSV with a model's own feature columns, encoded the way it was trained."""
    header, rows, _ = _read_rows(path)
    bad, kept_rows = _outcome(header, rows, target, bad_value)
    absent = [name for name in features if name not in header]
    if absent:
        raise TabularError(f"the model needs columns that are not in the file: {absent}")
    columns = []
    for name, kind in zip(features, kinds, strict=True):
        cells = [rows[r][header.index(name)] for r in kept_rows]
        if kind == "numeric":
            numbers, failures = _parse_numbers(cells)
            if failures:
                raise _garbage(name, cells, kept_rows, failures)
            columns.append(numbers)
        else:
            columns.append(_encode(cells, categories[name]))
    return np.column_stack(columns), bad


def _read_text(path: Path) -> str:
    """The file as text, refusing what is not a readable, UTF-8, not-too-big text file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TabularError(
                f"{path} is {size / 2**20:.0f} MB; the most read at once is "
                f"{MAX_FILE_BYTES // 2**20} MB (about 500,000 rows): train on a random sample"
            )
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise TabularError(f"no such file: {path}") from error
    except UnicodeDecodeError as error:
        raise TabularError(
            f"{path} is not a UTF-8 text file (byte {error.start}): save it as UTF-8 CSV"
        ) from error
    except OSError as error:
        raise TabularError(f"cannot read {path}: {error.strerror}") from error
    if "\x00" in text:
        raise TabularError(f"{path} is binary, not a CSV file")
    return text


def _read_rows(path: Path) -> tuple[list[str], list[list[str]], str]:
    """Header, data rows and the separator detected (comma, semicolon, tab or bar)."""
    text = _read_text(path)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(text.splitlines(), dialect) if any(c.strip() for c in row)]
    if dialect.delimiter == ";":
        # Semicolon files come from locales that write 1,5 for one and a half.
        rows = [[_decimal_point(c) for c in row] for row in rows]
    if not rows:
        raise TabularError(f"{path} is empty")
    header = [name.strip() for name in rows[0]]
    if "" in header or len(set(header)) != len(header):
        raise TabularError("the header row needs distinct, non-empty column names")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise TabularError(f"line {number} has {len(row)} values; the header has {len(header)}")
    if len(rows) < 2:
        raise TabularError(f"{path} has a header but no data rows")
    return header, rows[1:], dialect.delimiter


def _decimal_point(cell: str) -> str:
    return cell.replace(",", ".") if _DECIMAL_COMMA.fullmatch(cell.strip()) else cell


def _outcome(
    header: list[str], rows: list[list[str]], target: str, bad_value: str
) -> tuple[NDArray[np.bool_], list[int]]:
    if target not in header:
        raise TabularError(f"no column {target!r}; the columns are {', '.join(header)}")
    index = header.index(target)
    kept = [r for r, row in enumerate(rows) if not _is_missing(row[index])]
    values = [rows[r][index].strip() for r in kept]
    distinct = sorted({_outcome_key(v): v for v in values}.values())
    if len(distinct) > 2:
        shown = ", ".join(distinct[:10]) + (", ..." if len(distinct) > 10 else "")
        raise TabularError(
            f"{target} has {len(distinct)} values ({shown}): a training outcome needs exactly "
            "two, good and bad; recode it (e.g. bad when 90+ days past due) before training"
        )
    bad = np.array([_same_value(v, bad_value) for v in values], dtype=np.bool_)
    if not bad.any():
        seen = ", ".join(sorted(set(values))[:10])
        raise TabularError(f"no row has {target} = {bad_value!r}; values seen: {seen}")
    if bad.all():
        raise TabularError(f"every row has {target} = {bad_value!r}: no goods to learn from")
    return bad, kept


def _outcome_key(cell: str) -> str | float:
    """ "1" and "1.0" are one outcome value, not two."""
    try:
        return float(cell)
    except ValueError:
        return cell


def _same_value(cell: str, bad_value: str) -> bool:
    if cell == bad_value.strip():
        return True
    # "1" and "1.0" are the same outcome.
    try:
        return float(cell) == float(bad_value)
    except ValueError:
        return False


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_TOKENS


def _parse_numbers(cells: list[str]) -> tuple[Array, list[int]]:
    """Cell values as numbers (NaN when missing) and the positions that are not numbers."""
    values = np.full(len(cells), np.nan)
    failures = []
    for i, cell in enumerate(cells):
        if _is_missing(cell):
            continue
        try:
            number = float(cell)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            values[i] = number
        else:
            failures.append(i)
    return values, failures


def _garbage(name: str, cells: list[str], rows: list[int], failures: list[int]) -> TabularError:
    first = failures[0]
    return TabularError(
        f"column {name!r} is numeric but data row {rows[first] + 1} holds {cells[first]!r}"
    )


def _levels(present: list[str]) -> tuple[str, ...]:
    counts = Counter(c.strip() for c in present)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    keep = [
        level
        for level, count in ranked[: MAX_LEVELS - 1]
        if count >= MIN_LEVEL_SHARE * len(present)
    ]
    return (*keep, OTHER)


def _encode(cells: list[str], levels: tuple[str, ...]) -> Array:
    """Codes into ``levels``; anything not kept (or never seen) is OTHER, blanks are NaN."""
    code = {level: float(i) for i, level in enumerate(levels)}
    other = code[OTHER]
    return np.array(
        [np.nan if _is_missing(c) else code.get(c.strip(), other) for c in cells], dtype=np.float64
    )


@dataclass(frozen=True)
class RecentScores:
    """Recent scores for monitoring, with what the file had beside them: feature rows (n, F),
    each person's country (from ``country`` or the ``phone`` number's region) and, where
    known, whether they defaulted (``defaulted`` 1/0, blank when not yet known)."""

    scores: Array
    features: Array | None = None
    countries: tuple[str, ...] | None = None
    defaulted: tuple[bool | None, ...] | None = None


def read_recent_scores(path: Path, features: Sequence[str]) -> RecentScores:
    """Recent scores from a JSON list of objects (``.json``) or a CSV file with a ``score``
    column, and whichever of the model's features, ``country``/``phone`` and ``defaulted``
    it holds (see ``RecentScores``)."""
    text = _read_text(path)
    if path.suffix.lower() == ".json":
        try:
            records = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise TabularError(f"{path} is not valid JSON: {error}") from error
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise TabularError(f"{path} must hold a JSON list of objects")
    else:
        records = list(csv.DictReader(text.splitlines()))
    if not records or any("score" not in r for r in records):
        raise TabularError(f"{path} needs a 'score' on every row")
    try:
        scores = np.array([float(r["score"]) for r in records])
        has_features = all(name in records[0] for name in features)
        rows = (
            np.array([[_number(r.get(name)) for name in features] for r in records])
            if has_features
            else None
        )
    except (TypeError, ValueError) as error:
        raise TabularError(f"{path}: a score or feature is not a number ({error})") from error
    countries = None
    if "country" in records[0]:
        countries = tuple(str(r.get("country") or "unknown").strip().upper() for r in records)
    elif "phone" in records[0]:
        countries = tuple(country_of_phone(str(r.get("phone") or "")) for r in records)
    defaulted = None
    if "defaulted" in records[0]:
        defaulted = tuple(_outcome_flag(path, r.get("defaulted")) for r in records)
    return RecentScores(scores, rows, countries, defaulted)


def _outcome_flag(path: Path, value: object) -> bool | None:
    if value is None or str(value).strip() == "":
        return None
    if str(value).strip() in {"1", "1.0", "true", "True"}:
        return True
    if str(value).strip() in {"0", "0.0", "false", "False"}:
        return False
    raise TabularError(f"{path}: defaulted must be 1, 0 or blank, not {value!r}")


def _number(value: object) -> float:
    if value is None or value == "":
        return float("nan")
    return float(value) if isinstance(value, int | float) else float(str(value))
