# The partner-matching service: gunicorn serving service:create_app() on port 8000.
# The database and index live on the /data volume; the index is built at start when
# missing or stale, and the seed fiszki are loaded into an empty database (a first build of
# the seed data takes about two minutes on two cores: units, then the lemmas of soft term matching).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MATCHER_DATABASE_URL=sqlite:////data/matcher.db \
    MATCHER_INDEX_DIR=/data/index \
    MATCHER_SEED_DIR=/app/seed_data/fiszki

RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 matcher \
    && mkdir -p /data && chown matcher:matcher /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY matcher ./matcher
COPY embeddings ./embeddings
COPY service ./service
COPY seed_data ./seed_data
RUN pip install '.[serve,postgres]'

USER matcher
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["sh", "-c", "matcher bootstrap && exec gunicorn --workers 2 --threads 4 --timeout 300 --bind 0.0.0.0:8000 'service:create_app()'"]
