# One image recipe for every CareFlow service.
#
# Why one shared file instead of services/<name>/Dockerfile: the service images
# differ only in which distribution gets installed and which module runs, and
# one copy per service of a two-stage build would drift apart. A Dockerfile cannot be
# included from another, so a short per-service file would still have to repeat
# the whole build. The service is named twice, and tests/deploy checks that the
# two agree in docker-compose.yml:
#   --build-arg SERVICE=<name>  installs services/<name> and no other service,
#                               so changing one service leaves the other images alone;
#   --target <name>             picks the final stage with the literal
#                               CMD ["python", "-m", "careflow.<name>"]. Exec-form
#                               CMD does not expand ARG or ENV, and the shell form
#                               would put sh, not python, at PID 1.
#
# Build from the repository root (the build context is "."), for example:
#   docker build -f deploy/docker/service.Dockerfile \
#     --build-arg SERVICE=intake --target intake -t careflow/intake:dev .
# Needs BuildKit, which is the default builder: service.Dockerfile.dockerignore
# next to this file keeps .venv, .git and var/ out of the context, and the uv
# cache mount depends on it too.

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<service name>" >&2; exit 1; }
ENV UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src

# Phase 1: only the locked third-party dependencies, so this layer is reused
# until requirements/ changes. runtime.txt is the runtime's part of the lock
# (the same versions as lock.txt, without the development tools of tools/ and
# the test and lint dependencies). It lists our own packages as editable
# (-e ./contracts, -e ./libs/shared, ...). Those lines are dropped here, and
# phase 2 installs the packages as ordinary wheels.
COPY requirements/bootstrap.txt requirements/runtime.txt requirements/
RUN python -m pip install --no-cache-dir -r requirements/bootstrap.txt \
 && uv venv /opt/venv --python /usr/local/bin/python \
 && sed -e '/^-e[[:space:]]/d' requirements/runtime.txt > /tmp/third-party.txt
RUN --mount=type=cache,target=/root/.cache/uv \
    uv pip install --python /opt/venv/bin/python -r /tmp/third-party.txt

# Phase 2: contracts, shared and this one service, installed non-editable; never
# tools/ (careflow-devtools: local runtime, benchmark, test fixtures). With
# --no-deps nothing is resolved here, so every third-party version comes from
# the lock. `uv pip check` fails the build when a package needs something the
# lock lacks (re-run `make lock`), instead of quietly installing an unpinned version.
COPY contracts contracts
COPY libs/shared libs/shared
COPY services/${SERVICE} services/${SERVICE}
RUN --mount=type=cache,target=/root/.cache/uv \
    uv pip install --python /opt/venv/bin/python --no-deps \
      ./contracts ./libs/shared "./services/${SERVICE}" \
 && uv pip check --python /opt/venv/bin/python

# The service runs its Alembic migrations at start-up. In the documented layout
# alembic.ini and migrations/ sit next to the package, outside the wheel, so
# they go into the runtime working directory.
RUN mkdir -p /app \
 && for item in alembic.ini migrations; do \
      if [ -e "services/${SERVICE}/${item}" ]; then cp -R "services/${SERVICE}/${item}" /app/; fi; \
    done

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
# A fixed numeric uid/gid lets Kubernetes verify runAsNonRoot. The code is
# owned by root, so the process cannot rewrite it.
RUN groupadd --system --gid 10001 careflow \
 && useradd --system --uid 10001 --gid careflow --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin careflow
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
# Bytecode was compiled in the builder; the root filesystem is read-only in
# Kubernetes and Compose, so nothing is written at run time.
ENV PATH=/opt/venv/bin:${PATH} \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CAREFLOW_SERVICE=${SERVICE}
LABEL org.opencontainers.image.title="careflow-${SERVICE}" \
      org.opencontainers.image.description="CareFlow ${SERVICE} service"
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# Liveness only: /healthz. Readiness (database + broker) is /readyz, which
# Kubernetes probes separately. The slim image has no curl, so Python does the
# request, on the port the service's own <SERVICE>_HTTP_PORT names.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; port = os.environ.get(os.environ['CAREFLOW_SERVICE'].upper() + '_HTTP_PORT', '8000'); urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]

# ---------------------------------------------------------------- one target per service
# Each stage checks that it was built with the matching SERVICE, listens on
# every interface (the settings default is 127.0.0.1, which is unreachable from
# outside a container) and starts the service.

FROM runtime AS intake
RUN test "${CAREFLOW_SERVICE}" = intake
ENV INTAKE_HTTP_HOST=0.0.0.0 INTAKE_HTTP_PORT=8000
CMD ["python", "-m", "careflow.intake"]

FROM runtime AS workqueue
RUN test "${CAREFLOW_SERVICE}" = workqueue
ENV WORKQUEUE_HTTP_HOST=0.0.0.0 WORKQUEUE_HTTP_PORT=8000
CMD ["python", "-m", "careflow.workqueue"]

FROM runtime AS messaging
RUN test "${CAREFLOW_SERVICE}" = messaging
ENV MESSAGING_HTTP_HOST=0.0.0.0 MESSAGING_HTTP_PORT=8000
CMD ["python", "-m", "careflow.messaging"]

FROM runtime AS notification
RUN test "${CAREFLOW_SERVICE}" = notification
ENV NOTIFICATION_HTTP_HOST=0.0.0.0 NOTIFICATION_HTTP_PORT=8000
CMD ["python", "-m", "careflow.notification"]

