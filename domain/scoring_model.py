"""The scoring model the service serves: loaded once per process, never per request.

Loading starts in the background at start-up (`start`), so the server answers at once even when
the default model must first be trained; the first scoring waits for it. The loader runs in a
daemon thread: a server stopped mid-training exits instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from scoring_engine.model import LoadedModel
from scoring_engine.registry import ensure_model, load_challenger

if TYPE_CHECKING:
    from scoring_engine.challenger import Challenger

logger = logging.getLogger("scorelink.scoring")


class ModelUnavailable(Exception):
    """The promoted model could not be loaded or trained."""

    code = "MODEL_UNAVAILABLE"


class ScoringModel:
    def __init__(
        self, model_dir: Path, loader: Callable[[Path], LoadedModel] = ensure_model
    ) -> None:
        self._model_dir = Path(model_dir)
        self._loader = loader
        self._lock = threading.Lock()
        self._future: Future[LoadedModel] | None = None
        # The served version's other model, loaded on the first EXTENDED assessment.
        self._challengers: dict[str, Challenger] = {}

    def start(self) -> None:
        """Begin loading (training first if there is no promoted model) unless under way."""
        with self._lock:
            failed = self._future is not None and self._future.done() and self._future.exception()
            if self._future is not None and not failed:
                return
            future: Future[LoadedModel] = Future()
            # A running future cannot be cancelled, so a waiter that gives up cannot cancel
            # the load for everyone else.
            future.set_running_or_notify_cancel()
            self._future = future
        threading.Thread(
            target=self._load, args=(future,), name="scorelink-model-loader", daemon=True
        ).start()

    def _load(self, future: Future[LoadedModel]) -> None:
        try:
            model = self._loader(self._model_dir)
        except Exception as error:
            logger.exception("cannot load the scoring model from %s", self._model_dir)
            future.set_exception(error)
        else:
            logger.info("scoring model %s loaded", model.version)
            future.set_result(model)

    async def get(self) -> LoadedModel:
        """The loaded model, waiting for the load to finish; a failed load is retried."""
        self.start()
        assert self._future is not None  # noqa: S101 - start() just set it
        try:
            return await asyncio.wrap_future(self._future)
        except Exception as error:
            raise ModelUnavailable(f"the scoring model is unavailable: {error}") from error

    async def challenger(self, model: LoadedModel) -> Challenger:
        """The challenger of `model`'s version (loaded once per version, off the event loop)."""
        cached = self._challengers.get(model.version)
        if cached is not None:
            return cached
        try:
            loaded = await asyncio.to_thread(load_challenger, self._model_dir, model.version)
        except Exception as error:
            raise ModelUnavailable(f"the challenger is unavailable: {error}") from error
        self._challengers[model.version] = loaded
        return loaded
