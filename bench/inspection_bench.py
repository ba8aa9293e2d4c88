"""Inspection benchmarks: findings with a photo each, and the supervision report of a large plan.

I1 - findings with one 200 KB JPEG of 1600×1200 each (the tablet's case), recorded concurrently through
the inspection service's gRPC in the embedded stack (processes, SQLite, local storage), beside the raw
stack's yardstick on the same server process (grpc Health/Check) and the photo check alone in this
process (libs.common.photos.accept_photo: what a finding cannot do without). Target (issue): >= 50
findings/s, p99 <= 250 ms. The same through the gateway's REST endpoint is measured once the gateway
serves it (a row says whether it did).

I2 - the supervision report DOCX of a plan with 500 findings and 200 photos (distinct 200 KB JPEGs),
issued in a fresh process (numbering, rendering the report and each unit's part, storing them): time and
peak RSS of that process. Target: < 10 s, < 500 MB.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from bench import bare_app
from bench.machine import settle, tree_cpu_seconds
from bench.raw_stack import grpc_health, threaded
from bench.report import Table, verdict
from duban.common.v1 import common_pb2
from duban.inspection.v1 import inspection_pb2, inspection_pb2_grpc
from libs.common import photo_samples
from libs.common.photos import accept_photo
from scripts import demo_data
from scripts.stack import ServiceProcess, Stack

OFFICE = common_pb2.Actor(user_id="bench", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
HEAD = common_pb2.Actor(user_id="bench-head", name="王芳", role="office_head", unit_id="dcs", person_id="sv-wang")
INSPECTOR = common_pb2.Actor(user_id="bench-insp", name="马骏", role="inspector", unit_id="dcs", person_id="sv-ma")
RATE_TARGET, P99_TARGET = 50.0, 250.0
REPORT_SECONDS, REPORT_MB = 10.0, 500.0


def run(quick: bool, state: Path) -> list[Table]:
    return [bench_findings(quick, state), bench_report(quick, state)]


def _plan(stub: inspection_pb2_grpc.InspectionServiceStub, units: tuple[str, ...]) -> str:
    draft = inspection_pb2.PlanDraft(title="基准测试专项督查", kind="special", starts_on="2026-11-02", ends_on="2026-12-31",
                                     stops=[inspection_pb2.PlanStop(unit_id=u) for u in units], leader_id="sv-ma")
    plan = stub.CreatePlan(inspection_pb2.CreatePlanRequest(draft=draft, actor=OFFICE), timeout=30).plan
    return str(stub.ApprovePlan(inspection_pb2.ApprovePlanRequest(plan_id=plan.id, actor=HEAD), timeout=30).plan.id)


def bench_findings(quick: bool, state: Path) -> Table:
    threads, total, seconds = 8, (200 if quick else 500), (30.0 if quick else 60.0)
    home = state / "inspection-stack"
    home.mkdir(parents=True, exist_ok=True)
    stack = Stack(state_dir=home, free_ports=True, extra_env={"DUBAN_LOG_LEVEL": "WARNING",
                                                               "DUBAN_SWEEP_INTERVAL_SECONDS": "0"})
    photo = photo_samples.jpeg(1600, 1200, target_bytes=200_000)
    table = Table(
        "I1. Findings with one photo each (200 KB JPEG, 1600x1200): inspection's gRPC beside the raw stack",
        f"{threads} client threads, {total} findings, each its own client_key; the embedded stack's processes (SQLite, "
        "local storage).\n'svc CPU': the inspection process's CPU per call. 'photo check': accept_photo alone in the "
        "bench process\n(type by content, limits, EXIF read, strip without re-encoding, draft-mode thumbnail). "
        f"Target: >= {RATE_TARGET:g}/s, p99 <= {P99_TARGET:g} ms.",
        ["path", "calls", "errors", "per s", "p50 ms", "p99 ms", "svc CPU ms/call", "vs raw gRPC", "target", "result"])
    try:
        stack.start()
        demo_data.load(stack.addr("ledger"), stack.processes["gateway"].env["DUBAN_DATABASE_URL"], stack.signer(),
                       stack.addr("tracking"))
        stub = inspection_pb2_grpc.InspectionServiceStub(stack.channel("inspection"))
        plan_id = _plan(stub, ("fgj", "jyj"))
        pid = stack.processes["inspection"].process.pid  # type: ignore[union-attr]
        settle()
        raw = grpc_health(stack.addr("inspection"), threads, 2000, 10.0)
        table.add(*["raw gRPC Health/Check (same server)", raw.done, raw.errors, f"{raw.rate:.0f}", f"{raw.p50:.2f}",
                   f"{raw.p99:.2f}", "", "1.00", "", ""])
        checks = []
        for _ in range(20):
            started = time.perf_counter()
            accept_photo(photo)
            checks.append((time.perf_counter() - started) * 1000)
        table.add(*["photo check alone (this process)", len(checks), 0, f"{1000 / statistics.median(checks):.0f}",
                   f"{statistics.median(checks):.1f}", f"{max(checks):.1f}", "", "", "", ""])
        batch = uuid.uuid4().hex[:6]

        def record(n: int) -> None:
            stub.RecordFinding(inspection_pb2.RecordFindingRequest(
                plan_id=plan_id, unit_id="fgj" if n % 2 else "jyj", text=f"基准问题{n}", category="other",
                severity="general", client_key=f"bench-{batch}-{n}", actor=INSPECTOR,
                photos=[inspection_pb2.Photo(filename=f"IMG_{n}.jpg", data=photo)]), timeout=30)

        settle()
        cpu_before = tree_cpu_seconds(pid)
        run = threaded(record, threads, total, seconds)
        cpu_ms = (tree_cpu_seconds(pid) - cpu_before) * 1000 / max(run.done, 1)
        ok = run.rate >= RATE_TARGET and run.p99 <= P99_TARGET and not run.errors
        table.add(*["RecordFinding (gRPC)", run.done, run.errors, f"{run.rate:.1f}", f"{run.p50:.1f}", f"{run.p99:.1f}",
                   f"{cpu_ms:.1f}", f"{run.rate / raw.rate:.3f}" if raw.rate else "",
                   f">= {RATE_TARGET:g}/s, p99 <= {P99_TARGET:g}", verdict(ok)])
        bare, bare_url = bare_app.start(stack, home)
        try:
            row, bare_rate = _bare_uploads(bare_url, photo, threads, total, seconds, bare)
            table.add(*row)
        finally:
            bare.stop()
        gateway = _gateway_findings(stack, plan_id, photo, threads, total, seconds, raw.rate, bare_rate)
        table.add(*gateway)
    finally:
        stack.stop()
    return table


def _form(n: int, photo: bytes, batch: str) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    """The tablet's multipart body of finding n: its fields and one photo."""
    return ({"unit_id": "fgj", "text": f"网关基准问题{n}", "category": "other", "severity": "general",
             "client_key": f"gw-{batch}-{n}"}, [("photos", (f"IMG_{n}.jpg", photo, "image/jpeg"))])


def _bare_uploads(url: str, photo: bytes, threads: int, total: int, seconds: float,
                  bare: ServiceProcess) -> tuple[list[object], float]:
    """The raw stack under the gateway's row: the same multipart bodies, the same client, to a bare Flask
    endpoint under the gateway's gunicorn settings that only reads them."""
    batch = uuid.uuid4().hex[:6]

    def setup():
        session = requests.Session()

        def post(n: int) -> None:
            data, files = _form(n, photo, batch)
            reply = session.post(f"{url}/upload", timeout=30, data=data, files=files)
            if reply.status_code != 201 or reply.json()["sizes"] != [len(photo)]:
                raise RuntimeError(f"{reply.status_code}: {reply.text[:200]}")
        return post

    settle()
    pid = bare.process.pid  # type: ignore[union-attr]
    cpu_before = tree_cpu_seconds(pid)
    run = threaded(lambda n: None, threads, total, seconds, setup=setup)
    cpu_ms = (tree_cpu_seconds(pid) - cpu_before) * 1000 / max(run.done, 1)
    return ["bare Flask: the same multipart POST, read only", run.done, run.errors, f"{run.rate:.0f}",
            f"{run.p50:.1f}", f"{run.p99:.1f}", f"web {cpu_ms:.1f}", "", "", ""], run.rate


def _gateway_findings(stack: Stack, plan_id: str, photo: bytes, threads: int, total: int, seconds: float,
                      raw_rate: float, bare_rate: float) -> list[object]:
    """The same through the gateway (multipart POST), if it serves the endpoint."""
    url = f"{stack.url}/api/v1/inspection/plans/{plan_id}/findings"
    login = requests.post(f"{stack.url}/api/v1/auth/token", timeout=30, json={
        "username": "inspector", "password": demo_data.DEMO_PASSWORD, "name": "bench"})
    if login.status_code not in (200, 201):
        return ["gateway POST .../findings", 0, 0, "", "", "", "", "", "", f"not run: inspector login {login.status_code}"]
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    probe = requests.options(url, headers=headers, timeout=10)
    if probe.status_code == 404:
        return ["gateway POST .../findings", 0, 0, "", "", "", "", "", "", "not run: the gateway has no such endpoint"]
    batch = uuid.uuid4().hex[:6]

    def setup():  # one HTTP session (keep-alive) per thread, as a tablet keeps its connection
        session = requests.Session()

        def post(n: int) -> None:
            data, files = _form(n, photo, batch)
            reply = session.post(url, headers={**headers, "Idempotency-Key": f"gw-{batch}-{n}"}, timeout=30,
                                 data=data, files=files)
            if reply.status_code >= 300:
                raise RuntimeError(f"{reply.status_code}: {reply.text[:200]}")
        return post

    settle()
    pid = stack.processes["gateway"].process.pid  # type: ignore[union-attr]
    cpu_before = tree_cpu_seconds(pid)
    run = threaded(lambda n: None, threads, total, seconds, setup=setup)
    cpu_ms = (tree_cpu_seconds(pid) - cpu_before) * 1000 / max(run.done, 1)
    ok = run.rate >= RATE_TARGET and run.p99 <= P99_TARGET and not run.errors
    vs = f"{run.rate / raw_rate:.3f}" if raw_rate else ""
    if bare_rate:
        vs += f"; {run.rate / bare_rate:.1%} of bare Flask"
    return ["gateway POST .../findings (multipart)", run.done, run.errors, f"{run.rate:.1f}", f"{run.p50:.1f}",
            f"{run.p99:.1f}", f"web {cpu_ms:.1f}", vs, f">= {RATE_TARGET:g}/s, p99 <= {P99_TARGET:g}", verdict(ok)]


def bench_report(quick: bool, state: Path) -> Table:
    home = state / "inspection-report"
    home.mkdir(parents=True, exist_ok=True)
    table = Table(
        "I2. Supervision report DOCX of a plan with 500 findings and 200 photos",
        "Findings written straight into a fresh inspection database (SQLite), 200 distinct 200 KB JPEGs of "
        "1600x1200 in local\nstorage, across 10 units; then IssueReport's use case in a fresh process: number, "
        f"render the report and each unit's part,\nstore them. Target: < {REPORT_SECONDS:g} s, < {REPORT_MB:g} MB peak RSS.",
        ["step", "seconds", "CPU s", "peak RSS MB", "report MB", "target", "result"])
    reply = subprocess.run([sys.executable, "-m", "bench.inspection_report_run", str(home)], capture_output=True,
                           text=True, timeout=1800)
    if reply.returncode != 0:
        table.add(*["issue the report", "", "", "", "", "", "failed: " + reply.stderr.strip().splitlines()[-1][:100]])
        return table
    result = json.loads(reply.stdout.strip().splitlines()[-1])
    table.add(*["prepare (500 findings, 200 photos)", f"{result['prepare_seconds']:.1f}", "", "", "", "", ""])
    table.add(*["the report's DOCX (fresh process)", f"{result['docx_seconds']:.2f}", f"{result['docx_cpu_seconds']:.2f}",
               "", "", f"< {REPORT_SECONDS:g} s", verdict(result["docx_seconds"] < REPORT_SECONDS)])
    table.add(*["then issue it: the report and every unit's part, stored", f"{result['seconds']:.2f}", f"{result['cpu_seconds']:.2f}",
               f"{result['peak_mb']:.0f}",
               f"{result['report_mb']:.1f}", f"peak < {REPORT_MB:g} MB", verdict(result["peak_mb"] < REPORT_MB)])
    return table
