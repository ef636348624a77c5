# syntax=docker/dockerfile:1
#
# Production image of the OCOP marketplace backend: the API (`ocop serve`, the default command), the
# search-sync worker (`ocop worker`) and the admin commands (`ocop seed-demo`, `ocop reindex`, ...).
# Runtime dependencies come only from requirements-prod.lock (exact versions, verified hashes, wheels only);
# neither the `local` extra (development MongoDB) nor the dev tools are installed. The project's build
# backend is needed in the build stage only and does not reach the runtime image.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: a virtualenv holding the locked dependencies and the project --------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Dependencies first, so that code changes do not invalidate this layer.
COPY requirements-prod.lock ./
RUN pip install --no-cache-dir --require-hashes --only-binary :all: -r requirements-prod.lock

COPY pyproject.toml README.md ./
COPY api/ api/
COPY cli/ cli/
COPY schema/ schema/
COPY market/ market/
COPY search/ search/
COPY workers/ workers/
COPY data/ data/

# Installed in place (editable): the code locates the demo data set relative to its own source tree
# (data/demo next to market/), which a copy into site-packages would lose. /app is the only copy.
RUN pip install --no-deps --no-cache-dir -e . \
    && python -m compileall -q --invalidation-mode checked-hash api cli schema market search workers

# --- runtime ------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# /run/ocop-api and /run/ocop-worker receive the scoped search keys (docker-compose.yml): named volumes
# mounted there start with this ownership.
RUN groupadd --system --gid 10001 ocop \
    && useradd --system --uid 10001 --gid ocop --home-dir /var/lib/ocop --create-home \
        --shell /usr/sbin/nologin ocop \
    && install -d -o 10001 -g 10001 -m 0700 /run/ocop-api /run/ocop-worker

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OCOP_ENV=production \
    OCOP_HOME=/var/lib/ocop

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app

WORKDIR /app
USER 10001:10001

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["ocop", "serve", "--host", "0.0.0.0", "--port", "8000"]
