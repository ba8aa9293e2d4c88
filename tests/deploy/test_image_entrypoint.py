"""The image's entrypoint and HEALTHCHECK, run as processes (no Docker engine here to build the image).

docker/entrypoint.sh picks the service and the command; docker/healthcheck.py asks the gateway's
/healthz or a service's gRPC health. Both are exercised against stand-ins and real servers.
"""

from __future__ import annotations

import http.server
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from scripts import helm_check

ROOT = helm_check.ROOT
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
HEALTHCHECK = ROOT / "docker" / "healthcheck.py"


@pytest.fixture()
def fake_app(tmp_path: Path) -> tuple[Path, Path]:
    """An app dir with services gateway/ledger/tracking and a bin dir whose python/gunicorn echo their argv."""
    app = tmp_path / "app"
    for name in ("gateway", "ledger", "tracking"):
        (app / "services" / name).mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("python", "gunicorn"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $* DUBAN_SERVICE=$DUBAN_SERVICE cwd=$(pwd)"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return app, bin_dir


def run_entrypoint(fake_app: tuple[Path, Path], *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    app, bin_dir = fake_app
    base = {"PATH": f"{bin_dir}:/usr/bin:/bin", "DUBAN_APP_DIR": str(app)}
    return subprocess.run(
        ["bash", str(ENTRYPOINT), *args], env={**base, **env}, capture_output=True, text=True, timeout=10
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["ledger"], {}, "python -m services.ledger serve DUBAN_SERVICE=ledger"),
        (["ledger", "migrate"], {}, "python -m services.ledger migrate DUBAN_SERVICE=ledger"),
        (["migrate"], {"DUBAN_SERVICE": "ledger"}, "python -m services.ledger migrate DUBAN_SERVICE=ledger"),
        ([], {"DUBAN_SERVICE": "ledger"}, "python -m services.ledger serve"),
        (["tracking", "overdue-sweep", "--x"], {}, "python -m services.tracking overdue-sweep --x"),
        (["ledger", "serve"], {"DUBAN_SERVICE": "tracking"}, "python -m services.ledger serve DUBAN_SERVICE=ledger"),
        (
            ["gateway"],
            {},
            "gunicorn --bind 0.0.0.0:8000 --workers 2 --no-control-socket --worker-tmp-dir /dev/shm -c python:services.gateway.gunicorn_conf services.gateway.app:create_app() DUBAN_SERVICE=gateway",
        ),
        (
            ["gateway", "serve"],
            {"DUBAN_HTTP_PORT": "8123", "DUBAN_HTTP_WORKERS": "3"},
            "gunicorn --bind 0.0.0.0:8123 --workers 3 --no-control-socket --worker-tmp-dir /dev/shm -c python:services.gateway.gunicorn_conf services.gateway.app:create_app()",
        ),
        (["gateway", "migrate"], {}, "python -m services.gateway migrate DUBAN_SERVICE=gateway"),
    ],
)
def test_entrypoint_dispatch(fake_app: tuple[Path, Path], args: list[str], env: dict[str, str], expected: str) -> None:
    result = run_entrypoint(fake_app, *args, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(expected)
    assert f"cwd={fake_app[0]}" in result.stdout


@pytest.mark.parametrize(
    ("args", "env"), [([], {}), (["serve"], {}), (["nosuch"], {}), ([], {"DUBAN_SERVICE": "../x"})]
)
def test_entrypoint_without_a_service_explains(
    fake_app: tuple[Path, Path], args: list[str], env: dict[str, str]
) -> None:
    result = run_entrypoint(fake_app, *args, **env)
    assert result.returncode == 2
    assert "no service to run" in result.stderr
    assert "gateway" in result.stderr and "ledger" in result.stderr


def test_entrypoint_passes_shellcheck() -> None:
    shellcheck = Path(sys.executable).parent / "shellcheck"
    result = subprocess.run([str(shellcheck), str(ENTRYPOINT)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("service", [s for s in helm_check.service_packages() if s != "gateway"])
def test_real_services_accept_the_charts_subcommands(service: str) -> None:
    """The chart runs `<service> serve` and `<service> migrate`: each package's CLI must offer both."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "DUBAN_APP_DIR": str(ROOT),
    }
    result = subprocess.run(
        ["bash", str(ENTRYPOINT), service, "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout and "migrate" in result.stdout


def run_healthcheck(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK)],
        env={**base, "DUBAN_HEALTHCHECK_TIMEOUT": "2", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture()
def grpc_health() -> Iterator[tuple[int, health.HealthServicer]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield port, servicer
    server.stop(None)


def test_healthcheck_grpc_serving_and_not(grpc_health: tuple[int, health.HealthServicer]) -> None:
    port, servicer = grpc_health
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    assert run_healthcheck(DUBAN_SERVICE="ledger", DUBAN_GRPC_PORT=str(port)).returncode == 0
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    result = run_healthcheck(DUBAN_SERVICE="ledger", DUBAN_GRPC_PORT=str(port))
    assert result.returncode == 1
    assert "NOT_SERVING" in result.stderr


class _Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_healthcheck_gateway_http() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        assert run_healthcheck(DUBAN_SERVICE="gateway", DUBAN_HTTP_PORT=str(port)).returncode == 0
    finally:
        server.shutdown()
        server.server_close()
    result = run_healthcheck(DUBAN_SERVICE="gateway", DUBAN_HTTP_PORT=str(port))
    assert result.returncode == 1
    assert "/healthz" in result.stderr


STAND_IN_GATEWAY = """
def create_app():
    def app(environ, start_response):
        ok = environ["PATH_INFO"] in ("/healthz", "/readyz")
        start_response("200 OK" if ok else "404 Not Found", [("Content-Type", "text/plain")])
        return [b"ok" if ok else b"no"]
    return app
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gateway_entrypoint_runs_real_gunicorn(tmp_path: Path) -> None:
    """The exact gunicorn command line of the image serves a create_app() factory, without a home dir."""
    gateway = tmp_path / "services" / "gateway"
    gateway.mkdir(parents=True)
    (tmp_path / "services" / "__init__.py").write_text("")
    (gateway / "__init__.py").write_text("")
    (gateway / "app.py").write_text(STAND_IN_GATEWAY)
    (gateway / "gunicorn_conf.py").write_text((ROOT / "services" / "gateway" / "gunicorn_conf.py").read_text())
    port = free_port()
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path / "no-home"),  # the image user has no home directory
        "DUBAN_APP_DIR": str(tmp_path),
        "DUBAN_HTTP_PORT": str(port),
        "DUBAN_HTTP_WORKERS": "1",
    }
    proc = subprocess.Popen(
        ["bash", str(ENTRYPOINT), "gateway"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while (result := run_healthcheck(DUBAN_SERVICE="gateway", DUBAN_HTTP_PORT=str(port))).returncode != 0:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, result.stderr
            time.sleep(0.2)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output
    assert "control socket" not in output.lower()
