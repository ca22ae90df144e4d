# syntax=docker/dockerfile:1
# Request Bridge: one process (`request-bridge serve`) answering Slack on $PORT at /slack/events.
#   docker build -t request-bridge .
#   docker run -p 3000:3000 --env-file .env -v request-bridge-data:/data request-bridge
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

# Only what the package build needs; tests, benches and local state never reach the image.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ ./bot/
COPY handlers/ ./handlers/
COPY request_bridge/ ./request_bridge/
COPY sandbox/ ./sandbox/
# A regular (not editable) install puts the code in site-packages, so the sources can go.
RUN pip install --no-cache-dir . \
    && rm -rf /src

# Fixed numeric ids so `runAsNonRoot` checks and volume ownership are predictable.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /data --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data \
    && chown app:app /data

# The default DATABASE_URL (sqlite:///request-bridge.db) is relative to the working directory, so the
# database lands in the /data volume. `.env` is read from here too. The ownership above is set before
# VOLUME: later changes to a volume path in the Dockerfile are discarded.
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001

ENV PORT=3000
EXPOSE 3000

# python:3.11-slim has no curl; urllib exits non-zero on a refused connection or a non-2xx answer.
# Shell form so ${PORT} is read when the check runs, after any `-e PORT=...` override.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/healthz', timeout=4)" || exit 1

CMD ["request-bridge", "serve"]
