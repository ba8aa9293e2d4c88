#!/usr/bin/env bash
# Container entrypoint: `entrypoint.sh [SERVICE] [SUBCOMMAND [ARGS...]]`.
# SERVICE is the first argument when it names a package in services/, else $DUBAN_SERVICE.
# gateway: no subcommand or `serve` runs gunicorn; anything else goes to `python -m services.gateway`.
# Other services: `python -m services.SERVICE SUBCOMMAND...` (default subcommand: serve).
set -euo pipefail

app_dir=${DUBAN_APP_DIR:-/app}

is_service() {
  [[ $1 =~ ^[a-z][a-z0-9_]*$ ]] && [[ -d "$app_dir/services/$1" ]]
}

service=${DUBAN_SERVICE:-}
if [[ $# -gt 0 ]] && is_service "$1"; then
  service=$1
  shift
fi

if [[ -z $service ]] || ! is_service "$service"; then
  known=$(find "$app_dir/services" -mindepth 1 -maxdepth 1 -type d ! -name '__pycache__' -printf '%f ' 2>/dev/null || true)
  echo "entrypoint: no service to run (got '${service}'); pass one of: ${known}or set DUBAN_SERVICE" >&2
  exit 2
fi
export DUBAN_SERVICE=$service
cd "$app_dir"

if [[ $service == gateway ]] && { [[ $# -eq 0 ]] || [[ $* == serve ]]; }; then
  # The root filesystem is read-only and the user has no home: no control socket, and the worker
  # heartbeat files go to the tmpfs /dev/shm (gunicorn's advice) rather than a disk-backed /tmp.
  # Metrics: the workers write to PROMETHEUS_MULTIPROC_DIR, the master serves the sum (gunicorn_conf.py).
  export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-/tmp/prometheus}
  exec gunicorn --bind "0.0.0.0:${DUBAN_HTTP_PORT:-8000}" --workers "${DUBAN_HTTP_WORKERS:-2}" \
    --no-control-socket --worker-tmp-dir /dev/shm -c python:services.gateway.gunicorn_conf \
    'services.gateway.app:create_app()'
fi

if [[ $# -eq 0 ]]; then
  set -- serve
fi
exec python -m "services.$service" "$@"
