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
from scoring_engine.scaling import Scaling, probability_of

Array = NDArray[np.float64]

FORMAT = "scorelink-scorecard/1"


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
        contributions: Array = c.table.take(c.lookup(x))
        return contributions

    def log_odds(self, contributions: Array) -> Array:
        """Log-odds of default from the contributions, (n, k)."""
        # A cumulative sum adds strictly left to right; sum() may pair terms differently for
        # one row than for many, and a report must not depend on the size of its batch.
        # (The intercept is a 0-d array: a Python float costs each numpy call more.)
        log_odds: Array = self._compiled.intercept + np.add.accumulate(contributions, axis=1)[:, -1]
        return log_odds

    def default_probability(self, contributions: Array) -> Array:
        return probability_of(self.log_odds(contributions))

    def predict(self, x: Array) -> tuple[Array, list[tuple[ReasonCode, ...]]]:
        """Log-odds of default and principal reasons (points lost against each
        characteristic's best attribute), from a single look-up of every attribute."""
        c = self._compiled
        slots = c.lookup(x)
        return (
            self.log_odds(c.table.take(slots)),
            c.reasons.rank(c.code_table.take(slots), c.points_lost_negated.take(slots)),
        )

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
    """The table as flat arrays, built once when the scorecard loads: every attribute of every
    characteristic has a slot holding its contribution, its reason code and the points it
    loses against the characteristic's best attribute, and so does "does not apply" (source
    not linked). Scoring is then a handful of vectorised look-ups whatever the batch size:
    one ``searchsorted`` bins every numeric characteristic at once against all their edges
    merged, and ``slot_of_rank`` turns (applies, characteristic, rank) into a slot."""

    def __init__(self, card: Scorecard) -> None:
        chars = card.characteristics
        k = len(chars)
        contributions = [
            coef * np.asarray(c.woe) for c, coef in zip(chars, card.coefficients, strict=True)
        ]
        sizes = [len(t) for t in contributions]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        # Slot ``inapplicable + j``: characteristic j does not apply and contributes nothing.
        self.inapplicable = inapplicable = sum(sizes)
        table = np.concatenate([*contributions, np.zeros(k)])
        best = np.array([t.min() for t in contributions])
        self.reasons = ReasonBook([c.name for c in chars])
        self.code_table = np.concatenate(
            [self._codes(j, c) for j, c in enumerate(chars)]
            + [self.reasons.index[:, 2].astype(np.intp)]
        )
        owner = np.concatenate([np.full(size, j) for j, size in enumerate(sizes)] + [np.arange(k)])
        self.table = table
        # Negated, so that pooling them gives the order to sort by without a negation per score.
        self.points_lost_negated = card.scaling.factor * (best[owner.astype(np.intp)] - table)

        columns = [card.features.index(c.name) for c in chars]
        gates = [card.features.index(c.applies_if) if c.applies_if else 0 for c in chars]
        self.columns = np.array(columns + gates, dtype=np.intp)
        # Every numeric edge, once, in order, then NaN, which searchsorted orders last: the
        # rank of a value counts the edges at or below it, and NaN ranks past them all.
        edges = sorted({e for c in chars if c.kind == "numeric" for e in c.edges})
        self.edges = np.array([*edges, np.nan])
        ranks = len(self.edges) + 1
        slot_of_rank = np.empty((2, k, ranks), dtype=np.intp)
        for j, c in enumerate(chars):
            own = np.asarray(c.edges)
            below = [0] + [int((own <= e).sum()) for e in edges] + [c.missing_attribute]
            slot_of_rank[0, j] = self.offsets[j] + np.array(below)
            slot_of_rank[1, j] = inapplicable + j
        self.slot_of_rank = slot_of_rank.ravel()
        # Shaped (1, k) like one row: numpy needs no broadcast for a single applicant.
        self.rank_base = (np.arange(k, dtype=np.intp) * ranks)[None, :]
        gated = np.array([[c.applies_if is not None for c in chars]], dtype=np.bool_)
        self.gate_stride = np.where(gated, k * ranks, 0).astype(np.intp)
        self.one = np.array(1.0)
        self.intercept = np.array(card.intercept)
        self.categorical = tuple(
            (j, columns[j], c) for j, c in enumerate(chars) if c.kind != "numeric"
        )

    def _codes(self, j: int, characteristic: Characteristic) -> NDArray[np.intp]:
        present, missing, _ = self.reasons.index[j]
        codes = np.full(len(characteristic.woe), present, dtype=np.intp)
        codes[characteristic.missing_attribute] = missing
        if self.reasons.silenced_when_one[j]:
            codes[characteristic.assign(np.array([1.0]))[0]] = self.reasons.no_reason
        return codes

    def lookup(self, x: Array) -> NDArray[np.intp]:
        """Slot of each row's attribute per characteristic, (n, k); the "does not apply"
        slot where the characteristic's source is not linked."""
        k = self.rank_base.shape[1]
        values_and_gates = x.take(self.columns, axis=1)
        values, gates = values_and_gates[:, :k], values_and_gates[:, k:]
        rank = self.edges.searchsorted(values, side="right")
        index = rank + self.rank_base + (gates != self.one) * self.gate_stride
        slots: NDArray[np.intp] = self.slot_of_rank.take(index)
        for j, column, characteristic in self.categorical:  # models of tables only
            attribute = self.offsets[j] + characteristic.assign(x[:, column])
            applies = slots[:, j] < self.inapplicable
            slots[:, j] = np.where(applies, attribute, slots[:, j])
        return slots


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
