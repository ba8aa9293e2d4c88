"""The embedded stack as real processes: broker, services, gateway. Used by `make run` and the stack tests.

Each process gets its settings through the environment exactly as in the image (docker/entrypoint.sh
runs the same commands), so what works here is what the Helm chart deploys.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from libs.common import pgserver
from libs.common.broker import Broker, free_port, wait_for_port
from libs.common.broker_log import durable_broker

ROOT = Path(__file__).resolve().parent.parent


def port_or_free(preferred: int) -> int:
    """The preferred port if it is free, else any free one (0 means any)."""
    if not preferred:
        return free_port()
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return free_port()


def wait_serving(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"gRPC server on port {port} not SERVING after {timeout}s")


@dataclass
class ServiceProcess:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None  # type: ignore[type-arg]

    def start(self) -> None:
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def kill(self) -> None:
        """SIGKILL, no grace: what a crashed node looks like."""
        self.stop(signal.SIGKILL)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Stack:
    state_dir: Path
    http_port: int = 8000
    broker_port: int = 9092
    ledger_port: int = 50051
    ledger_metrics_port: int = 9101
    gateway_metrics_port: int = 9100
    tracking_port: int = 50052
    tracking_metrics_port: int = 9102
    database_urls: dict[str, str] = field(default_factory=dict)  # per service; default SQLite in state_dir
    extra_env: dict[str, str] = field(default_factory=dict)
    http_workers: int = 2
    # Where the broker's log lives (a throwaway database on this server); None: the configured server,
    # 127.0.0.1:5432, or a private cluster under state_dir/pg (pgserver.admin_server).
    pg_admin_url: str | None = None
    broker: Broker | None = None
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    _resources: ExitStack = field(default_factory=ExitStack)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _env(self, service: str, **values: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DUBAN_SERVICE": service,
            "DUBAN_KAFKA_BOOTSTRAP": self.broker.bootstrap if self.broker else "",
            "DUBAN_DATABASE_URL": self.database_urls.get(service, f"sqlite:///{self.state_dir}/{service}.db"),
            "DUBAN_CALENDAR_DIR": str(self.state_dir / "calendar"),
            "DUBAN_STORAGE_DIR": str(self.state_dir / "files"),
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        env.update(values)
        return env

    def start(self) -> Stack:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "logs").mkdir(exist_ok=True)
        self.broker_port = port_or_free(self.broker_port)
        self.ledger_port = port_or_free(self.ledger_port)
        self.http_port = port_or_free(self.http_port)
        self.ledger_metrics_port = port_or_free(self.ledger_metrics_port)
        self.gateway_metrics_port = port_or_free(self.gateway_metrics_port)
        self.tracking_port = port_or_free(self.tracking_port)
        self.tracking_metrics_port = port_or_free(self.tracking_metrics_port)
        admin = self.pg_admin_url or self._resources.enter_context(pgserver.admin_server(self.state_dir))
        self.broker = self._resources.enter_context(durable_broker(admin, self.state_dir / "logs", self.broker_port))
        py = sys.executable
        prom = self.state_dir / "prometheus"  # gunicorn_conf.py empties it when the gateway starts
        self.processes["ledger"] = ServiceProcess(
            "ledger", [py, "-m", "services.ledger", "serve"],
            self._env("ledger", DUBAN_GRPC_PORT=str(self.ledger_port), DUBAN_METRICS_PORT=str(self.ledger_metrics_port),
                      DUBAN_TRACKING_ADDR=f"127.0.0.1:{self.tracking_port}"),
            self.state_dir / "logs" / "ledger.log",
        )
        self.processes["tracking"] = ServiceProcess(
            "tracking", [py, "-m", "services.tracking", "serve"],
            self._env("tracking", DUBAN_GRPC_PORT=str(self.tracking_port),
                      DUBAN_METRICS_PORT=str(self.tracking_metrics_port), DUBAN_LEDGER_ADDR=f"127.0.0.1:{self.ledger_port}"),
            self.state_dir / "logs" / "tracking.log",
        )
        gateway_env = self._env(
            "gateway", DUBAN_LEDGER_ADDR=f"127.0.0.1:{self.ledger_port}", DUBAN_MIGRATE_ON_START="false",
            DUBAN_TRACKING_ADDR=f"127.0.0.1:{self.tracking_port}",
            PROMETHEUS_MULTIPROC_DIR=str(prom), DUBAN_METRICS_PORT=str(self.gateway_metrics_port),
        )
        gateway_env.setdefault("DUBAN_SECRET_KEY", "embedded-stack-" + "0" * 32)
        gateway_env.setdefault("DUBAN_SECURE_COOKIES", "false")
        subprocess.run([py, "-m", "services.gateway", "migrate"], cwd=ROOT, env=gateway_env, check=True)
        self.processes["gateway"] = ServiceProcess(
            "gateway",
            [py, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.http_port}", "--workers", str(self.http_workers),
             "--no-control-socket", "--graceful-timeout", "10", "-c", "python:services.gateway.gunicorn_conf",
             "services.gateway.app:create_app()"],
            gateway_env, self.state_dir / "logs" / "gateway.log",
        )
        self.start_service("ledger")
        self.start_service("tracking")
        self.start_service("gateway")
        return self

    def start_service(self, name: str) -> None:
        proc = self.processes[name]
        proc.start()
        try:
            if name == "gateway":
                wait_for_port("127.0.0.1", self.http_port, timeout=30)
            else:
                wait_serving(int(proc.env["DUBAN_GRPC_PORT"]))
        except TimeoutError:
            tail = proc.log_path.read_text(errors="replace")[-3000:] if proc.log_path.exists() else ""
            raise RuntimeError(f"{name} did not start; log tail:\n{tail}") from None

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.processes[name].stop()
        self._resources.close()  # the broker, its log's database, a private PostgreSQL
