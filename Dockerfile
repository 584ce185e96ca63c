# The desk in a container: the locked dependencies, no dev tools, the bot as an unprivileged user.
# Build: docker build -t pressdesk .   Run with compose.yaml (PostgreSQL + Redis) or on its own.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/pressdesk/.venv

RUN pip install --no-cache-dir "uv==0.13.9" \
    && useradd --system --create-home --home-dir /var/lib/pressdesk pressdesk

WORKDIR /opt/pressdesk
# Dependencies first, so a change of the code does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY bot ./bot
COPY handlers ./handlers
COPY networks ./networks
COPY storage ./storage
COPY emulators ./emulators
COPY sandbox ./sandbox
COPY scheduler.py config.toml ./
RUN uv sync --frozen --no-dev

USER pressdesk
WORKDIR /var/lib/pressdesk
# Listen on all interfaces inside the container, for the load balancer and the health check.
ENV PRESSDESK_WEB_HOST=0.0.0.0
EXPOSE 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8081/healthz', timeout=4)" || exit 1
CMD ["/opt/pressdesk/.venv/bin/pressdesk", "run", "--config", "/etc/pressdesk/config.toml"]
