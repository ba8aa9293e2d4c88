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
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from libs.common import call_auth, pgserver
from libs.common.broker import Broker, free_port
from libs.common.broker_log import durable_broker
from libs.common.processes import StartupFailed, holds_listener, port_answers, startup_message
from libs.common.service_table import GATEWAY_HTTP_PORT, GATEWAY_METRICS_PORT, SERVICES

ROOT = Path(__file__).resolve().parent.parent
CLOCK_CONTROL = "DUBAN_CLOCK_CONTROL"  # libs/common/clock_control.py: a clock the stack's tools may move


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


def serving(port: int) -> bool:
    """Whether the gRPC server on 127.0.0.1:`port` answers its health check with SERVING."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)  # type: ignore[attr-defined]  # types-grpcio-health-checking's HealthStub declares no methods
        except grpc.RpcError:
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def http_ready(port: int) -> bool:
    """Whether the gateway on 127.0.0.1:`port` answers /readyz (its database answers) with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_serving(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if serving(port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"gRPC server on port {port} not SERVING after {timeout}s")


@dataclass
class ServiceProcess:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

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
    """Broker, every service of the service table and the gateway, as processes on loopback.

    Ports: the preferred ones of the service table (make run), or, with `free_ports`, any free ones
    (tests and benchmarks: several stacks on one machine); an entry already in `ports` ("broker",
    "<service>", "<service>-metrics", "gateway" for HTTP, "gateway-metrics") is used as given, taken or
    not. `start` raises StartupFailed when a process we started does not come up."""

    state_dir: Path
    http_port: int = GATEWAY_HTTP_PORT
    free_ports: bool = False
    database_urls: dict[str, str] = field(default_factory=dict)  # per service; default SQLite in state_dir
    extra_env: dict[str, str] = field(default_factory=dict)
    http_workers: int = 2
    services: tuple[str, ...] = tuple(row.name for row in SERVICES)  # a subset for a benchmark
    # Services started with a controllable clock for a loader's `clock_controlled` to come (it restarts them
    # on the configured clock when done): one restart instead of two on a first `make run`.
    clock_controlled_at_start: tuple[str, ...] = ()
    # Where the broker's log lives (a throwaway database on this server); None: the configured server,
    # 127.0.0.1:5432, or a private cluster under state_dir/pg (pgserver.admin_server).
    pg_admin_url: str | None = None
    broker: Broker | None = None
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)  # "broker", "<service>", "<service>-metrics"
    _resources: ExitStack = field(default_factory=ExitStack)

    # Who signs service calls here: the gateway and the operator (the demo loader, tests, admin tools
    # driving the services directly) may name people; each service acts as itself.
    PEOPLE_SIGNERS = ("gateway", "operator")

    @property
    def keys_dir(self) -> Path:
        return self.state_dir / "keys"

    def signer(self, issuer: str = "operator") -> call_auth.Signer:
        return call_auth.Signer.load(issuer, f"{issuer}-1", self.keys_dir / f"{issuer}.pem",
                                     people=issuer in self.PEOPLE_SIGNERS)

    def channel(self, service: str, issuer: str = "operator") -> grpc.Channel:
        """A channel to one of the stack's services whose calls carry `issuer`'s token."""
        return call_auth.signed_channel(self.addr(service), self.signer(issuer), service)

    def _call_keys(self, issuer: str) -> dict[str, str]:
        return {"DUBAN_CALL_TRUSTED_KEYS": str(self.keys_dir / "trusted.json"),
                "DUBAN_CALL_SIGNING_KEY": str(self.keys_dir / f"{issuer}.pem"), "DUBAN_CALL_KEY_ID": f"{issuer}-1"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def grpc_port(self, service: str) -> int:
        return self.ports[service]

    def metrics_port(self, service: str) -> int:
        return self.ports[f"{service}-metrics"]

    def addr(self, service: str) -> str:
        return f"127.0.0.1:{self.grpc_port(service)}"

    def _port(self, preferred: int) -> int:
        return free_port() if self.free_ports else port_or_free(preferred)

    def _env(self, service: str, **values: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DUBAN_SERVICE": service,
            "DUBAN_KAFKA_BOOTSTRAP": self.broker.bootstrap if self.broker else "",
            "DUBAN_DATABASE_URL": self.database_urls.get(service, f"sqlite:///{self.state_dir}/{service}.db"),
            "DUBAN_CALENDAR_DIR": str(self.state_dir / "calendar"),
            "DUBAN_STORAGE_DIR": str(self.state_dir / "files"),
            "DUBAN_GRPC_HOST": "127.0.0.1",
            "DUBAN_METRICS_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            **self._call_keys(service),
        })
        env.update(self.extra_env)
        env.update(values)
        return env

    def start(self) -> Stack:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "logs").mkdir(exist_ok=True)
        rows = [row for row in SERVICES if row.name in self.services]
        # A fresh key per signer at every start: nothing outside this stack can sign for it.
        call_auth.write_keys(self.keys_dir, [(name, True) for name in self.PEOPLE_SIGNERS] +
                             [(row.name, False) for row in SERVICES])
        wanted = {"broker": 9092, "gateway": self.http_port, "gateway-metrics": GATEWAY_METRICS_PORT}
        for row in rows:
            wanted.update({row.name: row.grpc_port, f"{row.name}-metrics": row.metrics_port})
        for key, preferred in wanted.items():
            # A port found free here may be taken before the process binds it: start_service tells.
            self.ports.setdefault(key, self._port(preferred))
        self.http_port = self.ports["gateway"]
        admin = self.pg_admin_url or self._resources.enter_context(pgserver.admin_server(self.state_dir))
        self.broker = self._resources.enter_context(durable_broker(admin, self.state_dir / "logs",
                                                                   self.ports["broker"]))
        py = sys.executable
        for row in rows:
            self.processes[row.name] = ServiceProcess(
                row.name, [py, "-m", f"services.{row.name}", "serve"],
                # Each service knows where the others listen: its reconcilers fetch what the broker lost.
                self._env(row.name, DUBAN_GRPC_PORT=str(self.grpc_port(row.name)),
                          DUBAN_METRICS_PORT=str(self.metrics_port(row.name)),
                          **{other.addr_env: self.addr(other.name) for other in rows if other is not row},
                          **({CLOCK_CONTROL: "true"} if row.name in self.clock_controlled_at_start else {})),
                self.state_dir / "logs" / f"{row.name}.log",
            )
        prom = self.state_dir / "prometheus"  # gunicorn_conf.py empties it when the gateway starts
        gateway_env = self._env(
            "gateway", DUBAN_MIGRATE_ON_START="false", PROMETHEUS_MULTIPROC_DIR=str(prom),
            DUBAN_METRICS_PORT=str(self.metrics_port("gateway")),
            **{row.addr_env: self.addr(row.name) for row in rows},
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
        for name in self.processes:
            self.start_service(name)
        return self

    def start_service(self, name: str, timeout: float = 60.0) -> None:
        """Start one process and wait until it is ready. Ready means: the process we started is alive,
        holds the listening socket of its port itself, and answers there (health SERVING, or the
        gateway's /readyz). A port answering is not enough: with the port taken, our process fails to
        bind (a service only after its migrations, gunicorn after retrying) while the other answers, and
        the demo data would go to that other stack. Raises StartupFailed naming the port, with the log."""
        proc = self.processes[name]
        port = self.http_port if name == "gateway" else int(proc.env["DUBAN_GRPC_PORT"])
        ready = http_ready if name == "gateway" else serving
        proc.start()
        assert proc.process is not None
        deadline = time.monotonic() + timeout
        foreign = False
        while True:
            if not proc.alive:
                self._failed(name, port, f"exited during start-up with code {proc.process.returncode}", foreign)
            owned = holds_listener(proc.process.pid, port)
            if owned is False:
                foreign = foreign or port_answers("127.0.0.1", port)
            elif ready(port):
                if owned:
                    return
                # Without /proc (owned is None) only the process's survival can be checked: a child that
                # failed to bind exits right after its first log line.
                time.sleep(0.5)
                if proc.alive:
                    return
            if time.monotonic() > deadline:
                self._failed(name, port, f"not ready after {timeout:g}s", foreign)
            time.sleep(0.1)

    def restart_service(self, name: str, **env: str | None) -> None:
        """Stop one process (SIGTERM) and start it again with `env` changed (None removes a variable)."""
        proc = self.processes[name]
        proc.stop()
        for key, value in env.items():
            if value is None:
                proc.env.pop(key, None)
            else:
                proc.env[key] = value
        self.start_service(name)

    @contextmanager
    def clock_controlled(self, name: str) -> Iterator[None]:
        """While inside, `name`'s clock is moved by its ClockControl (the demo loader records the past this
        way); afterwards the service runs on the clock the stack configures (`extra_env`, the environment).
        One without control is restarted with it, and again without when done: a controlled clock stands
        still at the last time set."""
        proc = self.processes[name]
        configured = self.extra_env.get(CLOCK_CONTROL, os.environ.get(CLOCK_CONTROL))
        if proc.env.get(CLOCK_CONTROL) != "true":
            self.restart_service(name, **{CLOCK_CONTROL: "true"})
        try:
            yield
        finally:
            if configured != "true":
                self.restart_service(name, **{CLOCK_CONTROL: configured})

    def _failed(self, name: str, port: int, what: str, foreign: bool) -> NoReturn:
        proc = self.processes[name]
        proc.stop()
        raise StartupFailed(startup_message(name, port, what, foreign, proc.log_path))

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.processes[name].stop()
        self._resources.close()  # the broker, its log's database, a private PostgreSQL
