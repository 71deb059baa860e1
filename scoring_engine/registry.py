"""Model versions on disk: train, list, promote, load, evaluate.

Layout under the root directory (the caller's choice; the server uses ``var/models``)::

    versions/<version>/   model.json, scorecard.json, challenger.skops, baseline.json,
                          metrics.json, MODEL_CARD.md, roc.png, calibration.png
    PROMOTED              the version the server loads

A version folder is written under a temporary name and renamed into place, and PROMOTED is
replaced atomically, so a reader never sees half a version. Model files are JSON and skops:
never pickle.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from scoring_engine.evaluation import Measures, measure
from scoring_engine.model import MODELS, LoadedModel, ModelConfig, Serving
from scoring_engine.monitoring import Baseline
from scoring_engine.progress import Progress, StageLines, silent
from scoring_engine.scorecard import Scorecard, ScorecardError, sha256
from scoring_engine.synthetic import DEFAULT_SEED
from scoring_engine.tabular import TrainingTable, read_evaluation_csv
from scoring_engine.version_files import (
    BASELINE_JSON,
    CHALLENGER_SKOPS,
    METRICS_JSON,
    MODEL_JSON,
    PROMOTED,
    SCORECARD_JSON,
    VERSIONS,
)

if TYPE_CHECKING:
    from scoring_engine.challenger import Challenger

# Training (scikit-learn, matplotlib) and the challenger (scikit-learn, skops) are imported
# by the functions that need them: a server that only serves the scorecard loads neither,
# which saves about 150 MB and seconds of start-up per process.


class RegistryError(ValueError):
    """A version is unknown, unreadable, tampered with, or cannot do what was asked."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def train_version(
    root: Path,
    table: TrainingTable | None = None,
    seed: int = DEFAULT_SEED,
    promote: bool = False,
    clock: Callable[[], datetime] = _utc_now,
    *,
    baselines: bool = True,
    progress: Progress = silent,
) -> str:
    """Train on ``table`` (default: the synthetic population from ``seed``) and store the
    result as a new version; returns its name. ``baselines=False`` skips measuring the
    baselines (and so can never promote the challenger); ``progress`` hears of each stage."""
    progress("loading scikit-learn and matplotlib")
    from scoring_engine.training import synthetic_table, train
    from scoring_engine.training_report import write_report

    started = time.perf_counter()
    if table is None:
        progress("generating the synthetic population")
        table = synthetic_table(seed)
    trained = train(table, seed, baselines=baselines, progress=progress)
    created = clock()
    scorecard_json = trained.scorecard.to_json(trained.table.categories)
    versions = Path(root) / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    version = f"{created:%Y%m%dT%H%M%SZ}-{sha256(scorecard_json)[:8]}"
    while (versions / version).exists():
        version += "-1"
    staging = versions / f".staging-{version}-{os.getpid()}"
    staging.mkdir()
    try:
        (staging / SCORECARD_JSON).write_bytes(scorecard_json)
        trained.challenger.save(staging / CHALLENGER_SKOPS)
        config = ModelConfig(
            version=version,
            created_at=created.isoformat(),
            features=trained.table.features,
            kinds=trained.table.kinds,
            categories=trained.table.categories,
            scaling=trained.scaling,
            cutoffs=trained.cutoffs,
            serving=trained.decision.serving,
            promotion_reasons=trained.decision.reasons,
            scorecard_sha256=sha256(scorecard_json),
            challenger_sha256=sha256((staging / CHALLENGER_SKOPS).read_bytes()),
            challenger_best_values=tuple(float(v) for v in trained.challenger.best_values),
            trained_on=trained.table.description,
        )
        _write_json(staging / MODEL_JSON, config.to_mapping())
        _write_json(staging / BASELINE_JSON, trained.baseline.to_mapping())
        progress("writing metrics.json, MODEL_CARD.md and plots")
        write_report(staging, trained, config, time.perf_counter() - started)
        staging.rename(versions / version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if promote:
        promote_version(root, version)
    return version


@dataclass(frozen=True)
class VersionSummary:
    version: str
    created_at: str
    trained_on: str
    serving: Serving
    auc: float
    promoted: bool
    scores_applicants: bool


def list_versions(root: Path) -> list[VersionSummary]:
    """Every stored version, oldest first."""
    versions = Path(root) / VERSIONS
    promoted = promoted_version(root)
    summaries = []
    for folder in sorted(versions.iterdir() if versions.is_dir() else []):
        if folder.name.startswith(".") or not (folder / MODEL_JSON).is_file():
            continue
        config = _config(folder)
        metrics = orjson.loads((folder / METRICS_JSON).read_bytes())
        summaries.append(
            VersionSummary(
                version=config.version,
                created_at=config.created_at,
                trained_on=str(config.trained_on.get("source", "?")),
                serving=config.serving,
                auc=float(metrics["models"][config.serving]["auc"]),
                promoted=config.version == promoted,
                scores_applicants=config.scores_applicants,
            )
        )
    return summaries


def promote_version(root: Path, version: str) -> None:
    """Make ``version`` the one the server loads. Only a version that loads cleanly and
    scores linked-account features can be promoted."""
    model = load_version(root, version)
    if not model.config.scores_applicants:
        raise RegistryError(
            f"version {version} was trained on table columns and cannot score linked accounts"
        )
    marker = Path(root) / PROMOTED
    staging = marker.with_name(f".{PROMOTED}-{os.getpid()}")
    staging.write_text(version + "\n", encoding="utf-8")
    staging.replace(marker)


def promoted_version(root: Path) -> str | None:
    marker = Path(root) / PROMOTED
    if not marker.is_file():
        return None
    return marker.read_text(encoding="utf-8").strip() or None


def load_version(root: Path, version: str) -> LoadedModel:
    """Load a version, checking its files against the hashes in its configuration."""
    folder = _folder(root, version)
    config = _config(folder)
    scorecard_json = (folder / SCORECARD_JSON).read_bytes()
    if sha256(scorecard_json) != config.scorecard_sha256:
        raise RegistryError(f"version {version}: scorecard.json does not match its sha256")
    try:
        scorecard = Scorecard.from_json(scorecard_json)
    except ScorecardError as error:
        raise RegistryError(f"version {version}: {error}") from error
    baseline = Baseline.from_mapping(orjson.loads((folder / BASELINE_JSON).read_bytes()))
    challenger = (
        _load_challenger(folder, config, scorecard) if config.serving == "challenger" else None
    )
    return LoadedModel(config, scorecard, baseline, challenger)


def load_challenger(root: Path, version: str) -> Challenger:
    """A version's challenger, whichever model serves (with its scorecard, which it blends)."""
    model = load_version(root, version)
    if model.challenger is not None:
        return model.challenger
    return _load_challenger(_folder(root, version), model.config, model.scorecard)


def _load_challenger(folder: Path, config: ModelConfig, scorecard: Scorecard) -> Challenger:
    from scoring_engine.challenger import Challenger

    path = folder / CHALLENGER_SKOPS
    if sha256(path.read_bytes()) != config.challenger_sha256:
        raise RegistryError(f"version {config.version}: challenger.skops does not match its sha256")
    return Challenger.load(
        path,
        scorecard,
        config.features,
        np.asarray(config.challenger_best_values),
        config.scaling,
    )


def version_metrics(root: Path, version: str) -> dict[str, Any]:
    """The version's ``metrics.json``: cross-validated measures and the promotion reasons."""
    document: dict[str, Any] = orjson.loads((_folder(root, version) / METRICS_JSON).read_bytes())
    return document


def load_promoted(root: Path) -> LoadedModel:
    version = promoted_version(root)
    if version is None:
        raise RegistryError(f"no promoted model under {root}")
    return load_version(root, version)


def ensure_model(root: Path, progress: Progress | None = None) -> LoadedModel:
    """The promoted model; trains and promotes the default synthetic model first if there is
    none. Safe when several server processes start at once: one trains, the others wait.

    This first training is the sandbox's quick start: it skips the baselines (about half the
    time; `scorelink model train` measures them) and shows each stage on stderr unless given
    another ``progress``, so a first `make run` does not sit silent.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / ".lock"):
        if promoted_version(root) is None:
            lines = StageLines(prefix="training the sandbox model (first start only) ")
            train_version(root, promote=True, baselines=False, progress=progress or lines)
            lines.finish()
    return load_promoted(root)


def evaluate_version(
    root: Path, version: str, data_path: Path, target: str, bad_value: str
) -> dict[Serving, Measures]:
    """Measures of both of a version's models on a labelled CSV holding its feature columns."""
    model = load_version(root, version)
    config = model.config
    x, bad = read_evaluation_csv(
        data_path, target, bad_value, config.features, config.kinds, config.categories
    )
    predictions: dict[Serving, np.ndarray] = {
        "champion": model.scorecard.default_probability(model.scorecard.contributions(x)),
        "challenger": load_challenger(root, version).default_probability(x),
    }
    return {name: measure(bad, predictions[name], config.cutoffs) for name in MODELS}


def _folder(root: Path, version: str) -> Path:
    folder = Path(root) / VERSIONS / version
    # A version name is a folder name, never a path: no "..", no separators.
    if version != Path(version).name or version.startswith(".") or not folder.is_dir():
        raise RegistryError(f"no model version {version!r} under {root}")
    return folder


def _config(folder: Path) -> ModelConfig:
    try:
        return ModelConfig.from_mapping(orjson.loads((folder / MODEL_JSON).read_bytes()))
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as error:
        raise RegistryError(f"unreadable {folder / MODEL_JSON}: {error}") from error


def _write_json(path: Path, document: object) -> None:
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
