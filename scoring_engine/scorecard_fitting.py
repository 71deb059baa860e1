"""Fitting the champion scorecard: WoE binning, then a logistic regression on the WoE values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from scoring_engine.binning import Characteristic, Kind, fit_characteristic
from scoring_engine.scaling import Scaling
from scoring_engine.scorecard import Scorecard

Array = NDArray[np.float64]

MIN_INFORMATION_VALUE = 0.02
"""Characteristics below this separate goods from bads too weakly to earn points."""

# Mild L2 penalty: WoE inputs are already on a log-odds scale, so C=1 barely shrinks
# coefficients on tens of thousands of rows yet keeps collinear pairs stable.
_C = 1.0


def fit_scorecard(
    x: Array,
    bad: NDArray[np.bool_],
    features: Sequence[str],
    kinds: Sequence[Kind] | None = None,
    applies_if: Mapping[str, str] | None = None,
    scaling: Scaling | None = None,
) -> Scorecard:
    """Bin every feature, keep the informative ones, and regress the outcome on their WoE.

    A characteristic whose coefficient comes out with the wrong sign (more WoE, i.e. a safer
    attribute, raising risk) is a collinearity artefact that would make points run against
    the bad rates people see; it is dropped and the regression refitted. ``applies_if`` maps
    a characteristic to the 0/1 feature that must be 1 for it to apply (see binning).
    """
    kinds = kinds or ["numeric"] * len(features)
    applies_if = applies_if or {}
    columns = {name: i for i, name in enumerate(features)}

    def applies(name: str) -> NDArray[np.bool_]:
        gate = applies_if.get(name)
        return np.ones(len(x), dtype=np.bool_) if gate is None else x[:, columns[gate]] == 1.0

    binned = []
    for name, kind in zip(features, kinds, strict=True):
        rows = applies(name)
        values = x[rows, columns[name]]
        binned.append(fit_characteristic(name, values, bad[rows], kind, applies_if.get(name)))
    kept = [c for c in binned if c.information_value >= MIN_INFORMATION_VALUE]
    # A gate sets the baseline of the characteristics it gates (they are neutral without it),
    # so it stays whenever one of them does, however weak or oddly signed it is on its own.
    gates = {c.applies_if for c in kept if c.applies_if is not None}
    kept = [c for c in binned if c in kept or c.name in gates]
    if not kept:
        raise ValueError("no feature separates goods from bads: nothing to build a scorecard on")

    def woe_matrix(chars: list[Characteristic]) -> Array:
        return np.column_stack(
            [
                np.where(applies(c.name), np.asarray(c.woe)[c.assign(x[:, columns[c.name]])], 0.0)
                for c in chars
            ]
        )

    while True:
        model = LogisticRegression(C=_C, solver="newton-cholesky", max_iter=100)
        model.fit(woe_matrix(kept), bad)
        coefficients = model.coef_[0]
        droppable = np.array([c.name not in gates for c in kept])
        worst = int(np.argmax(np.where(droppable, coefficients, -np.inf)))
        if not droppable[worst] or coefficients[worst] < 0.0:
            break
        kept.pop(worst)
    return Scorecard(
        features=tuple(features),
        characteristics=tuple(kept),
        coefficients=tuple(float(c) for c in coefficients),
        intercept=float(model.intercept_[0]),
        scaling=scaling or Scaling(),
    )
