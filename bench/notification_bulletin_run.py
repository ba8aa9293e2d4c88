"""N1's steps, each in its own process: `python -m bench.notification_bulletin_run HOME N` writes N items of
2026Q3 into a fresh notification database (its projection, as the ledger's and tracking's events leave it),
then runs itself with `--render` in a fresh process - draft the quarter's bulletin (the facts), render its
DOCX, convert it to PDF with LibreOffice - and prints one JSON line: each step's seconds, the process's peak
RSS and LibreOffice's (its child's) peak RSS, the files' sizes and pages; then the same through the real
service's gRPC (`served`), whose peak RSS is the issue's target."""

from __future__ import annotations

import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import insert

from bench.procs import NotificationProcess
from duban.common.v1 import common_pb2
from duban.notification.v1 import notification_pb2 as pb
from libs.common import printing
from libs.common.actor import SYSTEM
from libs.common.clock import OFFICE_TZ, ManualClock
from services.notification import drafting, files
from services.notification.bootstrap import NotificationApp, bootstrap
from services.notification.config import Settings
from services.notification.orm import KnownItem

UNITS = 30
NOW = dt.datetime(2026, 10, 9, 9, 0, tzinfo=OFFICE_TZ)


def _app(home: Path) -> NotificationApp:
    settings = Settings.from_env({"DUBAN_DATABASE_URL": f"sqlite:///{home}/notification.db",
                                  "DUBAN_KAFKA_BOOTSTRAP": "127.0.0.1:1", "DUBAN_STORAGE_DIR": str(home / "files"),
                                  "DUBAN_BULLETIN_JOB_INTERVAL_SECONDS": "0"})
    return bootstrap(settings, clock=ManualClock(NOW))


def prepare(home: Path, count: int) -> None:
    app = _app(home)
    rows = []
    for n in range(count):
        unit = n % UNITS
        registered = dt.date(2026, 7, 1) + dt.timedelta(days=n % 85)
        due = registered + dt.timedelta(days=10)
        extended = n % 11 == 0
        closed = registered + dt.timedelta(days=(n * 7) % 25) if n % 4 else None  # a quarter open; some late
        rows.append(dict(
            item_id=f"bench-{n:06d}", item_no=f"2026-{n + 1:05d}", title=f"督查事项第{n + 1}件：推进重点工作落实情况",
            category="general", key_tracking=False, source="leader_assignment", unit_id=f"u{unit:02d}",
            unit_name=f"第{unit + 1}承办单位", leader_id="ld-li", registered_on=registered,
            due_date=due + dt.timedelta(days=7) if extended else due, original_due_date=due, extended=extended,
            closed_on=closed, status="closed" if closed else "in_progress", status_seq=1,
            reason="" if closed else "正在协调推进"))
    with app.uow() as tx:
        tx.session.execute(insert(KnownItem), rows)
        tx.commit()
    app.parts.engine.dispose()


def render(home: Path) -> dict[str, float]:
    app = _app(home)
    n = app.core
    started = time.perf_counter()
    b, _ = drafting.generate_bulletin(n, pb.GenerateBulletinRequest(kind="quarterly", period="2026Q3"), SYSTEM)
    facts_seconds = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    with n.uow.read() as tx:
        b = tx.session.merge(b)
        docx = files.render_docx(n, tx, b)
    docx_seconds, docx_cpu = time.perf_counter() - started, time.process_time() - cpu
    service_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    pdf = printing.to_pdf(docx, ".docx")
    pdf_seconds = time.perf_counter() - started
    found = pb.Facts.FromString(b.facts)
    return {"facts_seconds": facts_seconds, "docx_seconds": docx_seconds, "docx_cpu_seconds": docx_cpu,
            "pdf_seconds": pdf_seconds, "service_peak_mb": service_peak,
            "office_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "docx_mb": len(docx) / 1e6, "pdf_mb": len(pdf) / 1e6, "pages": float(len(printing.pages(pdf))),
            "in_scope": float(found.totals.in_scope), "overdue": float(found.totals.overdue),
            "red": float(found.totals.red), "yellow": float(found.totals.yellow)}


def served(home: Path, count: int) -> dict[str, float]:
    """The same quarter through the real service: `python -m services.notification serve` (as procs.py starts
    services) over a database of its own, the bulletin drafted and submitted (DOCX and PDF rendered and
    stored in the service) through gRPC; the server's peak RSS from /proc (VmHWM; LibreOffice, its child,
    not counted). No broker: the 127.0.0.1:1 it is given leaves its consumer and relay retrying aside."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    prepare(home, count)
    office = common_pb2.Actor(user_id="1", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
    proc = NotificationProcess(home, f"sqlite:///{home}/notification.db", "127.0.0.1:1", fixed_now=NOW.isoformat())
    proc.start()
    try:
        stub = proc.stub()
        idle = proc.status("VmRSS") / 1024
        started = time.perf_counter()
        b = stub.GenerateBulletin(pb.GenerateBulletinRequest(kind="quarterly", period="2026Q3", actor=office),
                                  timeout=600).bulletin
        draft_seconds = time.perf_counter() - started
        started = time.perf_counter()
        submitted = stub.SubmitBulletin(pb.BulletinActRequest(bulletin_id=b.id, actor=office), timeout=900).bulletin
        submit_seconds = time.perf_counter() - started
        assert submitted.status == "submitted" and submitted.docx_sha256 and submitted.pdf_sha256
        peak = proc.status("VmHWM") / 1024
    finally:
        proc.stop()
    return {"served_idle_mb": idle, "served_draft_seconds": draft_seconds, "served_submit_seconds": submit_seconds,
            "served_peak_mb": peak}


def main(argv: list[str]) -> int:
    home = Path(argv[0])
    if len(argv) > 1 and argv[1] == "--render":
        print(json.dumps(render(home)))
        return 0
    count = int(argv[1]) if len(argv) > 1 else 10_000
    home.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    prepare(home, count)
    prepared = time.perf_counter() - started
    reply = subprocess.run([sys.executable, "-m", "bench.notification_bulletin_run", str(home), "--render"],
                           capture_output=True, text=True, timeout=1800, check=False)
    if reply.returncode != 0:
        print(reply.stderr, file=sys.stderr)
        return reply.returncode
    result = json.loads(reply.stdout.strip().splitlines()[-1])
    print(json.dumps({"prepare_seconds": prepared, **result, **served(home / "served", count)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
