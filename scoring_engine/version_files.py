"""The files of a model version's folder, named once for the registry and the training report."""

from __future__ import annotations

VERSIONS = "versions"
PROMOTED = "PROMOTED"
MODEL_JSON = "model.json"
SCORECARD_JSON = "scorecard.json"
CHALLENGER_SKOPS = "challenger.skops"
BASELINE_JSON = "baseline.json"
METRICS_JSON = "metrics.json"
MODEL_CARD = "MODEL_CARD.md"
ROC_PNG = "roc.png"
CALIBRATION_PNG = "calibration.png"
