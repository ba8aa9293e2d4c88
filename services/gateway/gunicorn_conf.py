"""gunicorn settings of the gateway (`-c python:services.gateway.gunicorn_conf`).

Threaded workers (gthread) keep client connections open between requests: a sync worker answers
every request with `Connection: close`, so each API call paid a new TCP connection. Nothing in the
gateway is per-process request state: flask.g and the request are per thread, the gRPC channels and
SQLAlchemy's pool are thread-safe, and module globals are constants. DUBAN_HTTP_THREADS threads per
worker (default 4); the worker count stays on the command line (`--workers`, DUBAN_HTTP_WORKERS).

Each worker keeps its metrics in PROMETHEUS_MULTIPROC_DIR; the master adds them up and serves them on
DUBAN_METRICS_PORT (the chart's "metrics" port), so /metrics never has to be exposed with the portal.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, multiprocess, start_http_server

if TYPE_CHECKING:  # gunicorn is only there when gunicorn loads this file
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker


worker_class = "gthread"
threads = int(os.environ.get("DUBAN_HTTP_THREADS") or 4)
keepalive = 5  # seconds an idle kept-alive connection waits for its next request
# gunicorn's own default, stated here because the OpenAPI document promises it (414 beyond it, answered
# by gunicorn itself as HTML, before the app sees the request).
limit_request_line = 4094


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server: Arbiter) -> None:
    directory = _multiproc_dir()
    if directory:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):  # numbers of a previous run must not be added in
            stale.unlink()


def when_ready(server: Arbiter) -> None:
    port = int(os.environ.get("DUBAN_METRICS_PORT") or 0)
    if port and _multiproc_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        # A pod: every interface (the chart's metrics port); the embedded stack: loopback only.
        start_http_server(port, addr=os.environ.get("DUBAN_METRICS_HOST") or "0.0.0.0", registry=registry)


def child_exit(server: Arbiter, worker: Worker) -> None:
    if _multiproc_dir():
        multiprocess.mark_process_dead(worker.pid)
