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
        if len(x) > _CHUNK:
            blocks = [self.contributions(x[i : i + _CHUNK]) for i in range(0, len(x), _CHUNK)]
            return np.vstack(blocks)
        c = self._compiled
        values = x[:, c.columns]
        out = np.empty(values.shape)
        numeric = values[:, c.numeric]
        attribute = (numeric[:, :, None] >= c.edges[None, :, :]).sum(axis=2)
        attribute = np.where(np.isnan(numeric), c.missing, attribute)
        out[:, c.numeric] = c.table[c.offsets + attribute]
        for i, characteristic, contribution in c.categorical:
            out[:, i] = contribution[characteristic.assign(values[:, i])]
        if c.gated.any():
            out[(x[:, c.gates] != 1.0) & c.gated] = 0.0
        return out

    def default_probability(self, contributions: Array) -> Array:
        log_odds = self.intercept + contributions.sum(axis=1)
        return np.asarray(1.0 / (1.0 + np.exp(-log_odds)), dtype=np.float64)

    def reasons(self, x: Array, contributions: Array) -> list[tuple[ReasonCode, ...]]:
        """Principal reasons: points lost against each characteristic's best attribute."""
        c = self._compiled
        points_lost = self.scaling.factor * (contributions - c.best)
        return c.reasons.principal(x[:, c.columns], points_lost)

    def points(self) -> list[list[float]]:
        """Points of every attribute; the unclipped score is the sum over characteristics."""
        k = len(self.characteristics)
        shared = (self.scaling.offset - self.scaling.factor * self.intercept) / k
        return [
            [shared - self.scaling.factor * coef * w for w in c.woe]
            for c, coef in zip(self.characteristics, self.coefficients, strict=True)
        ]

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
    """The table as arrays, so scoring is a few vectorised look-ups whatever the batch size."""

    def __init__(self, card: Scorecard) -> None:
        chars = card.characteristics
        contributions = [
            coef * np.asarray(c.woe) for c, coef in zip(chars, card.coefficients, strict=True)
        ]
        numeric = [i for i, c in enumerate(chars) if c.kind == "numeric"]
        width = max((len(chars[i].edges) for i in numeric), default=0)
        # Padding with +inf never counts as "value >= edge", so short rows need no masking.
        self.edges = np.full((len(numeric), max(width, 1)), np.inf)
        for row, i in enumerate(numeric):
            self.edges[row, : len(chars[i].edges)] = chars[i].edges
        sizes = [len(contributions[i]) for i in numeric]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        self.table = np.concatenate([contributions[i] for i in numeric]) if numeric else np.empty(0)
        self.columns = np.array([card.features.index(c.name) for c in chars], dtype=np.intp)
        self.numeric = np.array(numeric, dtype=np.intp)
        self.missing = np.array([chars[i].missing_attribute for i in numeric], dtype=np.intp)
        self.categorical = tuple(
            (i, c, contributions[i]) for i, c in enumerate(chars) if c.kind != "numeric"
        )
        self.best = np.array([t.min() for t in contributions])
        gates = [card.features.index(c.applies_if) if c.applies_if else 0 for c in chars]
        self.gates = np.array(gates, dtype=np.intp)
        self.gated = np.array([c.applies_if is not None for c in chars], dtype=np.bool_)
        self.reasons = ReasonBook([c.name for c in chars])


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
