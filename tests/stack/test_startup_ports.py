"""`make run` with a port held by something else that answers like a healthy duban: start-up fails,
naming the port and showing the process's log, and no demo data is written anywhere (issue 11.7).

The stand-ins answer exactly what the readiness checks used to accept (gRPC health SERVING, HTTP 200
with {"status": "ready"}) and record every call they get: before the fix the stack took them for its
own processes and the demo data loader wrote into them.
"""

from __future__ import annotations

import http.server
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from scripts import run_stack
from scripts.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.postgres, pytest.mark.slow]  # its own stack's broker on PostgreSQL

HEALTH_CHECK = "/grpc.health.v1.Health/Check"


class Recorder(grpc.GenericRpcHandler):
    """Records the method of every call that reaches the stand-in gRPC server."""

    def __init__(self) -> None:
        self.methods: list[str] = []

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> None:
        self.methods.append(handler_call_details.method)
        return None  # health is served by its own handler; anything else is UNIMPLEMENTED


@pytest.fixture
def healthy_grpc_impostor() -> Iterator[tuple[int, Recorder]]:
    recorder = Recorder()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=[recorder],
                         options=[("grpc.so_reuseport", 0)])
    servicer = health.HealthServicer()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield port, recorder
    server.stop(0)


class ReadyHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def _answer(self) -> None:
        ReadyHandler.requests.append(f"{self.command} {self.path}")
        body = b'{"status": "ready"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = _answer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def healthy_http_impostor() -> Iterator[tuple[int, list[str]]]:
    ReadyHandler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ReadyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], ReadyHandler.requests
    server.shutdown()
    server.server_close()


def start_with(stack: Stack, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, float]:
    stopped = threading.Event()
    stopped.set()  # had it come up, `run` would return 0 at once instead of waiting for Ctrl-C
    started = time.monotonic()
    code = run_stack.run(stack, demo=True, stop=stopped)
    return code, capsys.readouterr().err, time.monotonic() - started


def rows(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        known = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) if known[0] else 0  # noqa: S608 - our name


def test_a_service_port_held_by_a_healthy_impostor_fails_start_up(
        tmp_path: Path, pg_admin_url: str, healthy_grpc_impostor: tuple[int, Recorder],
        capsys: pytest.CaptureFixture[str]) -> None:
    port, impostor = healthy_grpc_impostor
    stack = Stack(state_dir=tmp_path, free_ports=True, pg_admin_url=pg_admin_url, ports={"ledger": port},
                  extra_env={"DUBAN_SWEEP_INTERVAL_SECONDS": "0"})
    code, err, took = start_with(stack, capsys)
    assert code == 1
    assert f"ledger did not start on 127.0.0.1:{port}: exited during start-up" in err
    assert f"port {port} is held by another process" in err
    assert f"Failed to bind to address 127.0.0.1:{port}" in err  # the ledger's own log, shown in the message
    assert [m for m in impostor.methods if m != HEALTH_CHECK] == []  # nothing was written into it
    assert rows(tmp_path / "ledger.db", "units") == 0 and rows(tmp_path / "gateway.db", "users") == 0
    assert "gateway" not in stack.processes or not stack.processes["gateway"].alive
    assert took < 90


def test_the_gateway_port_held_by_a_healthy_impostor_fails_start_up(
        tmp_path: Path, pg_admin_url: str, healthy_http_impostor: tuple[int, list[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    port, requests_seen = healthy_http_impostor
    stack = Stack(state_dir=tmp_path, free_ports=True, pg_admin_url=pg_admin_url, ports={"gateway": port},
                  extra_env={"DUBAN_SWEEP_INTERVAL_SECONDS": "0"})
    code, err, took = start_with(stack, capsys)
    assert code == 1
    assert f"gateway did not start on 127.0.0.1:{port}: exited during start-up" in err
    assert f"port {port} is held by another process" in err
    assert "Connection in use" in err  # gunicorn's own words, from its log
    assert requests_seen == []  # not even asked: it does not hold a socket of ours
    # The services came up, and still nothing was loaded: the demo data waits for the whole stack.
    assert rows(tmp_path / "ledger.db", "units") == 0 and rows(tmp_path / "gateway.db", "users") == 0
    assert not any(p.alive for p in stack.processes.values())
    assert took < 120
