"""The ASGI entry point uvicorn imports in each worker process."""

from __future__ import annotations

from starlette.applications import Starlette

from server.app import create_app
from server.database import connection_name
from server.garbage_collection import settle_after_startup
from server.logs import configure_logging
from server.settings import load_settings


def app_from_environment() -> Starlette:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    # SQLite is the embedded default: the event worker and the access log's sealer run in the
    # server, nothing more to start. On PostgreSQL `scorelink worker` runs both.
    embedded = connection_name(settings.database_url) == "sqlite"
    app = create_app(settings, run_worker=embedded, seal_log=embedded)
    settle_after_startup()
    return app
