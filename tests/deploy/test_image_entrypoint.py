"""The image's entrypoint and HEALTHCHECK, run as processes (no Docker engine here to build the image).

docker/entrypoint.sh picks the service and the command; docker/healthcheck.py asks the gateway's
/healthz or a service's gRPC health. Both are exercised against stand-ins and real servers.
"""

from __future__ import annotations

import datetime as dt
import http.server
import os
import re
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

from libs.common.broker import Broker
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


def real_entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """docker/entrypoint.sh on this checkout, with the venv's python as the image's."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    base |= {"PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", "DUBAN_APP_DIR": str(ROOT)}
    return subprocess.run(
        ["bash", str(ENTRYPOINT), *args], env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def test_the_charts_cron_jobs_are_subcommands_of_their_service() -> None:
    """Each CronJob runs `<service> <job>`: the service's CLI must offer that job (a job renamed on one
    side only would fail every night, far from any test). The production example's jobs of services
    still to be built are checked once their package exists."""
    built = set(helm_check.service_packages())
    jobs = {
        args
        for render in (helm_check.render_default(), helm_check.render_production())
        for o in render
        if o["kind"] == "CronJob" and (args := tuple(helm_check.pod_specs(o)[0]["containers"][0]["args"][:2]))[0] in built
    }
    assert ("inspection", "sweep") in jobs and ("tracking", "sweep") in jobs
    assert ("notification", "bulletins") in jobs and ("notification", "clearance") in jobs
    for service, job in sorted(jobs):
        result = real_entrypoint(service, "--help")
        assert result.returncode == 0, result.stderr
        offered = re.search(r"\{([a-z,-]+)\}", result.stdout)
        assert offered and job in offered.group(1).split(","), f"{service} offers no {job}: {result.stdout}"


@pytest.mark.slow
def test_inspection_sweep_runs_as_its_cron_job(broker: Broker, tmp_path: Path) -> None:
    """`inspection sweep` through the image's entrypoint, on a database where an order's day has passed:
    announced overdue once (the event on the broker before the process ends), and not again."""
    from duban.inspection.v1 import inspection_pb2
    from libs.common import topics
    from libs.common.outbox import pending_count
    from libs.common.testing import EventReader
    from services.inspection.tests.conftest import INSPECTOR, running_trio

    with running_trio(broker, tmp_path) as trio:
        item = trio.register()
        plan = trio.approved_plan([item.id])
        finding = trio.inspection.RecordFinding(inspection_pb2.RecordFindingRequest(
            plan_id=plan.id, unit_id="fgj", item_id=item.id, text="台账未更新", category="other", severity="general",
            actor=INSPECTOR), timeout=20).finding
        due = trio.inspection.OrderRectification(inspection_pb2.OrderRectificationRequest(
            finding_id=finding.id, mode="ordered", working_days=1, requirement="补齐台账", actor=INSPECTOR),
            timeout=10).finding.rectification.rounds[0].due_date
        settings = trio.app.settings
        # What the service staged is on the broker before it stops: the sweep's count below is its own.
        trio.wait(lambda: pending_count(trio.app.parts.engine) == 0)
    # What the CronJob's pod gets (the chart's ConfigMaps and Secret), here on the same SQLite file.
    env = {"DUBAN_DATABASE_URL": settings.database_url, "DUBAN_KAFKA_BOOTSTRAP": broker.bootstrap,
           "DUBAN_STORAGE_DIR": str(tmp_path / "files"), "DUBAN_MIGRATE_ON_START": "false",
           "DUBAN_SWEEP_INTERVAL_SECONDS": "0"}
    after = dt.date.fromisoformat(due) + dt.timedelta(days=1)
    first = real_entrypoint("inspection", "sweep", "--as-of", f"{after}T00:05:00", **env)
    assert first.returncode == 0, first.stderr
    assert "sweep: 1 rectifications overdue; 2 events sent" in first.stdout  # overdue + the item's raisers
    again = real_entrypoint("inspection", "sweep", "--as-of", f"{after}T00:05:00", **env)
    assert again.returncode == 0 and "sweep: 0 rectifications overdue" in again.stdout, again.stderr
    reader = EventReader(broker.bootstrap, topics.INSPECTION_EVENTS)
    try:
        events = reader.poll_until(lambda es: any(e.type == "rectification.overdue" and finding.id in e.data.decode()
                                                  for e in es), timeout=10)
    finally:
        reader.close()
    assert sum(1 for e in events if e.type == "rectification.overdue" and finding.id in e.data.decode()) == 1


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


@pytest.mark.slow
def test_notification_bulletins_run_as_their_cron_job(broker: Broker, tmp_path: Path) -> None:
    """`notification bulletins` through the image's entrypoint: the quarter's draft made once (the event
    sent before the process ends); a second run, and the catch-up run of every kind, draft nothing more."""
    from services.notification.tests.conftest import running_duo

    with running_duo(broker, tmp_path) as duo:
        duo.register(title="第三季度事项", registered_on="2026-07-06")
        settings = duo.app.settings
    env = {"DUBAN_DATABASE_URL": settings.database_url, "DUBAN_KAFKA_BOOTSTRAP": broker.bootstrap,
           "DUBAN_STORAGE_DIR": str(tmp_path / "files"), "DUBAN_MIGRATE_ON_START": "false",
           "DUBAN_BULLETIN_JOB_INTERVAL_SECONDS": "0"}
    first = real_entrypoint("notification", "bulletins", "--kind", "quarterly", "--period", "2026Q3",
                            "--as-of", "2026-10-09T09:00", **env)
    assert first.returncode == 0, first.stderr
    assert "bulletins: drafted 1 (quarterly:2026Q3); 1 events sent" in first.stdout
    again = real_entrypoint("notification", "bulletins", "--kind", "quarterly", "--period", "2026Q3", **env)
    assert again.returncode == 0 and "nothing drafted" in again.stdout, again.stderr
    bad = real_entrypoint("notification", "bulletins", "--kind", "weekly", **env)
    assert bad.returncode == 2 and "--kind must be one of" in bad.stderr


@pytest.mark.slow
def test_evaluation_replay_runs_as_the_admins_command(broker: Broker, tmp_path: Path) -> None:
    """`evaluation replay --year 2026`, the command the chart's values name (no CronJob runs it): through the
    image's entrypoint on a migrated database, it compares and says so; without --year it refuses."""
    env = {"DUBAN_DATABASE_URL": f"sqlite:///{tmp_path}/evaluation.db", "DUBAN_KAFKA_BOOTSTRAP": broker.bootstrap,
           "DUBAN_STORAGE_DIR": str(tmp_path / "files"), "DUBAN_MIGRATE_ON_START": "false"}
    migrated = real_entrypoint("evaluation", "migrate", **env)
    assert migrated.returncode == 0, migrated.stderr
    replay = real_entrypoint("evaluation", "replay", "--year", "2026", **env)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.startswith("replay 2026: 0 events, 0 entries, identical, ")
    missing = real_entrypoint("evaluation", "replay", **env)
    assert missing.returncode == 2 and "--year is required" in missing.stderr
