# syntax=docker/dockerfile:1
# champbot container image: a build stage installs the project into a virtualenv,
# the runtime stage copies only that virtualenv and runs as the non-root user `champbot`.

# ---- build -----------------------------------------------------------------
FROM python:3.12-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# .dockerignore keeps .venv, .git, tests, caches, databases and .env files out of the context.
COPY . .
RUN pip install --no-cache-dir .

# ---- runtime ---------------------------------------------------------------
FROM python:3.12-slim AS runtime

# Fixed uid/gid so volumes and Kubernetes runAsUser/runAsNonRoot checks are predictable.
RUN groupadd --system --gid 10001 champbot \
 && useradd --system --uid 10001 --gid champbot --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin champbot \
 && mkdir -p /app /data \
 && chown champbot:champbot /data

COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app
# The lessons also ship inside the installed distribution; a read-only copy next to the
# working directory keeps look-ups relative to the working directory working as well.
COPY content/ /app/content/

ENV CHAMPBOT_DATABASE_URL=sqlite:////data/champbot.db \
    CHAMPBOT_HOST=0.0.0.0 \
    PORT=3978 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# SQLite database (default) lives here; with PostgreSQL the volume simply stays empty.
VOLUME ["/data"]

USER champbot

EXPOSE 3978

# slim images have no curl: probe /healthz with the standard library; any error or a
# non-200 status makes python exit non-zero, which marks the container unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3978') + '/healthz', timeout=4); sys.exit(0 if r.status == 200 else 1)" || exit 1

CMD ["champbot", "run"]
