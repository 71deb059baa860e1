"""The champion model: a points table served in plain numpy.

A scorecard is published as JSON (``to_json``) and identified by the sha256 of those bytes;
everything needed to score, explain and monitor is in the table. Serving never imports
scikit-learn: fitting lives in ``scorecard_fitting``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from scoring_engine.binning import Characteristic
from scoring_engine.reason_codes import ReasonBook, ReasonCode
from scoring_engine.scaling import Scaling

Array = NDArray[np.float64]

FORMAT = "scorelink-scorecard/1"
_CHUNK = 65_536  # rows per block: bounds the (rows, characteristics, edges) comparison


class ScorecardError(ValueError):
    """A points table that cannot be read or does not match its inputs."""


@dataclass(frozen=True)
class Scorecard:
    """Log-odds of default = intercept + sum of each characteristic's attribute contribution,
    where a contribution is the logistic-regression coefficient times the attribute's WoE."""

    features: tuple[str, ...]
    characteristics: tuple[Characteristic, ...]
    coefficients: tuple[float, ...]
    intercept: float
    scaling: Scaling

    _compiled: _Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [c.name for c in self.characteristics]
        unknown = [name for name in names if name not in self.features]
        if unknown:
            raise ScorecardError(f"characteristics not among the features: {unknown}")
        object.__setattr__(self, "_compiled", _Compiled(self))

    def contributions(self, x: Array) -> Array:
        """Log-odds contribution of each characteristic, (n, k), from features (n, F)."""
        c = self._compiled
        slots, inapplicable = c.lookup(x)
        return np.where(inapplicable, 0.0, c.table[slots])

    def default_probability(self, contributions: Array) -> Array:
        # A cumulative sum adds strictly left to right; sum() may pair terms differently for
        # one row than for many, and a report must not depend on the size of its batch.
        log_odds = self.intercept + np.cumsum(contributions, axis=1)[:, -1]
        return np.asarray(1.0 / (1.0 + np.exp(-log_odds)), dtype=np.float64)

    def predict(self, x: Array) -> tuple[Array, list[tuple[ReasonCode, ...]]]:
        """Default probability and principal reasons (points lost against each
        characteristic's best attribute), from a single look-up of every attribute."""
        c = self._compiled
        slots, inapplicable = c.lookup(x)
        contributions = np.where(inapplicable, 0.0, c.table[slots])
        codes = np.where(inapplicable, c.unlinked_code, c.code_table[slots])
        points_lost = self.scaling.factor * (contributions - c.best)
        return self.default_probability(contributions), c.reasons.rank(codes, points_lost)

    def points(self) -> list[list[float]]:
        """Points of every attribute; the unclipped score is the sum over characteristics,
        counting ``points_not_applicable`` for a characteristic that does not apply."""
        return [
            [self.points_not_applicable - self.scaling.factor * coef * w for w in c.woe]
            for c, coef in zip(self.characteristics, self.coefficients, strict=True)
        ]

    @property
    def points_not_applicable(self) -> float:
        """Points of a characteristic with zero log-odds contribution: the intercept's share."""
        k = len(self.characteristics)
        return (self.scaling.offset - self.scaling.factor * self.intercept) / k

    def to_json(self, categories: Mapping[str, Sequence[str]] | None = None) -> bytes:
        """The published points table: canonical JSON (sorted keys), hashed by ``sha256``."""
        categories = categories or {}
        document = {
            "format": FORMAT,
            "features": list(self.features),
            "intercept": self.intercept,
            "scaling": self.scaling.to_mapping(),
            "characteristics": [
                {
                    "name": c.name,
                    "kind": c.kind,
                    "applies_if": c.applies_if,
                    "points_not_applicable": self.points_not_applicable if c.applies_if else None,
                    "edges": list(c.edges),
                    "category_bins": list(c.category_bins),
                    "coefficient": coef,
                    "information_value": c.information_value,
                    "attributes": [
                        {
                            "label": label,
                            "count": count,
                            "bad_count": bads,
                            "woe": woe,
                            "log_odds": coef * woe,
                            "points": points,
                        }
                        for label, count, bads, woe, points in zip(
                            c.labels(tuple(categories.get(c.name, ()))),
                            c.counts,
                            c.bad_counts,
                            c.woe,
                            attribute_points,
                            strict=True,
                        )
                    ],
                }
                for c, coef, attribute_points in zip(
                    self.characteristics, self.coefficients, self.points(), strict=True
                )
            ],
        }
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, raw: bytes) -> Scorecard:
        try:
            document: dict[str, Any] = orjson.loads(raw)
            if document.get("format") != FORMAT:
                raise ScorecardError(f"not a {FORMAT} points table")
            return cls(
                features=tuple(document["features"]),
                characteristics=tuple(
                    Characteristic(
                        name=c["name"],
                        kind=c["kind"],
                        edges=tuple(c["edges"]),
                        category_bins=tuple(c["category_bins"]),
                        woe=tuple(a["woe"] for a in c["attributes"]),
                        counts=tuple(a["count"] for a in c["attributes"]),
                        bad_counts=tuple(a["bad_count"] for a in c["attributes"]),
                        applies_if=c["applies_if"],
                    )
                    for c in document["characteristics"]
                ),
                coefficients=tuple(c["coefficient"] for c in document["characteristics"]),
                intercept=float(document["intercept"]),
                scaling=Scaling.from_mapping(document["scaling"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError) as error:
            raise ScorecardError(f"unreadable points table: {error}") from error


class _Compiled:
    """The table as flat arrays: every attribute of every characteristic has a slot holding
    its contribution and its reason code, so scoring is a few vectorised look-ups whatever
    the batch size."""

    def __init__(self, card: Scorecard) -> None:
        chars = card.characteristics
        contributions = [
            coef * np.asarray(c.woe) for c, coef in zip(chars, card.coefficients, strict=True)
        ]
        sizes = [len(t) for t in contributions]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        self.table = np.concatenate(contributions) if chars else np.empty(0)
        self.best = np.array([t.min() for t in contributions])
        self.reasons = ReasonBook([c.name for c in chars])
        self.code_table = np.concatenate(
            [self._codes(j, c) for j, c in enumerate(chars)] or [np.empty(0, dtype=np.intp)]
        )
        self.unlinked_code = self.reasons.index[:, 2]

        columns = [card.features.index(c.name) for c in chars]
        numeric = [j for j, c in enumerate(chars) if c.kind == "numeric"]
        self.all_numeric = len(numeric) == len(chars)
        self.numeric = np.array(numeric, dtype=np.intp)
        self.numeric_columns = np.array([columns[j] for j in numeric], dtype=np.intp)
        width = max((len(chars[j].edges) for j in numeric), default=0)
        # Padding with +inf never counts as "value >= edge", so short rows need no masking.
        self.edges = np.full((len(numeric), max(width, 1)), np.inf)
        for row, j in enumerate(numeric):
            self.edges[row, : len(chars[j].edges)] = chars[j].edges
        self.numeric_offsets = self.offsets[self.numeric]
        self.numeric_missing = self.numeric_offsets + [chars[j].missing_attribute for j in numeric]
        self.categorical = tuple(
            (j, columns[j], c) for j, c in enumerate(chars) if c.kind != "numeric"
        )
        gates = [card.features.index(c.applies_if) if c.applies_if else 0 for c in chars]
        self.gates = np.array(gates, dtype=np.intp)
        self.gated = np.array([c.applies_if is not None for c in chars], dtype=np.bool_)

    def _codes(self, j: int, characteristic: Characteristic) -> NDArray[np.intp]:
        present, missing, _ = self.reasons.index[j]
        codes = np.full(len(characteristic.woe), present, dtype=np.intp)
        codes[characteristic.missing_attribute] = missing
        if self.reasons.silenced_when_one[j]:
            codes[characteristic.assign(np.array([1.0]))[0]] = self.reasons.no_reason
        return codes

    def lookup(self, x: Array) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
        """Slot of each row's attribute per characteristic, and where a characteristic does
        not apply (its source is not linked)."""
        if len(x) > _CHUNK:
            parts = [self.lookup(x[i : i + _CHUNK]) for i in range(0, len(x), _CHUNK)]
            return np.vstack([p[0] for p in parts]), np.vstack([p[1] for p in parts])
        values = x[:, self.numeric_columns]
        attribute = (values[:, :, None] >= self.edges).sum(axis=2)
        numeric_slots = np.where(
            np.isnan(values), self.numeric_missing, self.numeric_offsets + attribute
        )
        if self.all_numeric:
            slots = numeric_slots
        else:
            slots = np.empty((len(x), len(self.offsets)), dtype=np.intp)
            slots[:, self.numeric] = numeric_slots
            for j, column, characteristic in self.categorical:
                slots[:, j] = self.offsets[j] + characteristic.assign(x[:, column])
        inapplicable = (x[:, self.gates] != 1.0) & self.gated
        return slots, inapplicable


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
