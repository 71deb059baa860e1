# Same steps as `make run`: install the package, migrate, serve. Data lives in the /app/var volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SCORELINK_HOST=0.0.0.0 \
    SCORELINK_PORT=8000

RUN useradd --create-home --uid 10001 scorelink
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY schema ./schema
COPY resolvers ./resolvers
COPY domain ./domain
COPY consent ./consent
COPY scoring_engine ./scoring_engine
COPY connectors ./connectors
COPY migrations ./migrations
RUN python -m pip install --no-cache-dir . && mkdir -p /app/var && chown scorelink /app/var

USER scorelink
VOLUME ["/app/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["scorelink", "serve"]
