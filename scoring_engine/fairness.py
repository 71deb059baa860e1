"""How the serving model treats groups of a protected attribute it never sees.

Protected columns (``--protected``, or the synthetic population's age band) are kept out of
the features; this report measures, per group, on the serving model's out-of-fold PDs:

- the approval rate at each grade cut-off (approve grade A only, A-B, A-C);
- the adverse impact ratio: a group's approval rate over the best-treated group's. The US
  four-fifths rule (29 CFR 1607.4(D)) reads a ratio below 0.8 as evidence of adverse impact,
  and a warning says so;
- AUC within the group (does the score rank its members as well?) and calibration (mean
  predicted PD against the observed default rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring_engine import metrics
from scoring_engine.scaling import GRADES, GradeCutoffs

Array = NDArray[np.float64]

FOUR_FIFTHS = 0.8
APPROVE_UP_TO: tuple[str, ...] = GRADES[:-1]
"""An approval policy per cut-off: approve grades up to and including this one."""


@dataclass(frozen=True)
class GroupLine:
    group: str
    count: int
    observed_default_rate: float
    mean_predicted_pd: float
    auc: float | None
    """None when the group has only goods or only bads."""
    approval_rate: tuple[float, ...]
    """Per ``APPROVE_UP_TO`` cut-off."""
    impact_ratio: tuple[float, ...]
    """Approval rate over the best group's at the same cut-off."""


@dataclass(frozen=True)
class FairnessReport:
    column: str
    groups: tuple[GroupLine, ...]
    warnings: tuple[str, ...]

    def to_mapping(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "approve_up_to": list(APPROVE_UP_TO),
            "groups": [asdict(g) for g in self.groups],
            "warnings": list(self.warnings),
        }


def fairness_report(
    column: str,
    labels: Sequence[str],
    bad: NDArray[np.bool_],
    pd: Array,
    cutoffs: GradeCutoffs,
) -> FairnessReport:
    """The report of one protected column, from each row's group label, outcome and PD."""
    label = np.asarray(labels)
    grade = cutoffs.grade_index(pd)
    names = sorted(set(label.tolist()))
    approval = {
        name: tuple(
            float((grade[label == name] <= cut).mean()) for cut in range(len(APPROVE_UP_TO))
        )
        for name in names
    }
    best = [max(approval[name][cut] for name in names) for cut in range(len(APPROVE_UP_TO))]
    lines = []
    warnings = []
    for name in names:
        rows = label == name
        ratios = tuple(
            rate / top if top > 0 else 1.0 for rate, top in zip(approval[name], best, strict=True)
        )
        group_bad = bad[rows]
        lines.append(
            GroupLine(
                group=name,
                count=int(rows.sum()),
                observed_default_rate=float(group_bad.mean()),
                mean_predicted_pd=float(pd[rows].mean()),
                auc=metrics.auc(group_bad, pd[rows])
                if 0 < group_bad.sum() < len(group_bad)
                else None,
                approval_rate=approval[name],
                impact_ratio=ratios,
            )
        )
        for cut, ratio in zip(APPROVE_UP_TO, ratios, strict=True):
            if ratio < FOUR_FIFTHS:
                warnings.append(
                    f"{column}={name}: approving grades up to {cut}, its approval rate "
                    f"{approval[name][APPROVE_UP_TO.index(cut)]:.1%} is {ratio:.2f} of the "
                    f"best group's, below the four-fifths rule ({FOUR_FIFTHS})"
                )
    return FairnessReport(column, tuple(lines), tuple(warnings))


FAIRNESS_COLUMNS: tuple[str, ...] = (
    "group",
    "people",
    "observed DR",
    "mean PD",
    "AUC",
    *(f"approve ≤{cut} (ratio)" for cut in APPROVE_UP_TO),
)


def fairness_rows(report: dict[str, Any]) -> list[list[str]]:
    """Table rows of one report from its ``to_mapping()``, for the model card and the
    command line alike."""
    return [
        [
            g["group"],
            str(g["count"]),
            f"{g['observed_default_rate']:.2%}",
            f"{g['mean_predicted_pd']:.2%}",
            "-" if g["auc"] is None else f"{g['auc']:.4f}",
            *(
                f"{rate:.1%} ({ratio:.2f}{' !' if ratio < FOUR_FIFTHS else ''})"
                for rate, ratio in zip(g["approval_rate"], g["impact_ratio"], strict=True)
            ),
        ]
        for g in report["groups"]
    ]
