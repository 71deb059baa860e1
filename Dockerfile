# The production image: SCORELINK_ENV=production, the scoring model built into the image, and
# `scorelink migrate` before `scorelink serve` at every start. It refuses to start without a
# SCORELINK_SECRET_KEY of 32 bytes or more (compose.yaml asks for one). Data lives in the
# database (DATABASE_URL; compose.yaml brings up PostgreSQL).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SCORELINK_ENV=production \
    SCORELINK_HOST=0.0.0.0 \
    SCORELINK_PORT=8000 \
    SCORELINK_LOG_FORMAT=json \
    SCORELINK_MODEL_DIR=/app/models

RUN useradd --create-home --uid 10001 scorelink
WORKDIR /app

# Dependencies first, from the lock file with hashes: this layer is rebuilt only when the lock
# changes, not on every code change.
COPY requirements.lock ./
RUN python -m pip install --no-cache-dir --require-hashes -r requirements.lock

COPY pyproject.toml README.md ./
COPY server ./server
COPY schema ./schema
COPY resolvers ./resolvers
COPY domain ./domain
COPY consent ./consent
COPY scoring_engine ./scoring_engine
COPY connectors ./connectors
COPY storage ./storage
COPY migrations ./migrations
RUN python -m pip install --no-cache-dir --no-deps . \
    && python -c "from pathlib import Path; from scoring_engine.registry import ensure_model; ensure_model(Path('/app/models'))" \
    && mkdir -p /app/var \
    && chown -R scorelink /app/models /app/var

USER scorelink
VOLUME ["/app/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["sh", "-c", "scorelink migrate && exec scorelink serve"]
