"""I2's two steps, each in its own process: `python -m bench.inspection_report_run HOME` prepares a plan
with 500 findings and 200 photos, then runs itself with `--issue` in a fresh process (so its peak RSS is the
report's alone) and prints one JSON line: prepare and issue seconds, peak RSS, the report's size."""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

from libs.common.actor import Actor
from libs.common.clock import OFFICE_TZ, ManualClock
from libs.common.photos import accept_photo
from services.inspection import reporting
from services.inspection.bootstrap import InspectionApp, bootstrap
from services.inspection.config import Settings
from services.inspection.orm import Finding, Photo, Plan, PlanStop, RectificationRound

FINDINGS, PHOTOS, UNITS = 500, 200, 10
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=OFFICE_TZ)
OFFICE = '{"id": "sv-wang", "name": "王芳", "unit_id": "dcs", "role": "office"}'


def _app(home: Path) -> InspectionApp:
    settings = Settings.from_env({"DUBAN_DATABASE_URL": f"sqlite:///{home}/inspection.db",
                                  "DUBAN_KAFKA_BOOTSTRAP": "127.0.0.1:1", "DUBAN_STORAGE_DIR": str(home / "files"),
                                  "DUBAN_SWEEP_INTERVAL_SECONDS": "0"})
    return bootstrap(settings, clock=ManualClock(NOW))


def prepare(home: Path) -> str:
    from libs.common import photo_samples

    app = _app(home)
    core = app.core
    plan_id = str(uuid.uuid4())
    with core.uow() as tx:
        plan = Plan(id=plan_id, plan_no="督查方案〔2026〕99号", title="全区重点工作推进情况综合督查", kind="comprehensive",
                    status="under_way", starts_on=dt.date(2026, 11, 2), ends_on=dt.date(2026, 11, 30),
                    drafted_by=OFFICE, approved_by=OFFICE, approved_at=NOW, version=1, created_at=NOW, updated_at=NOW,
                    stops=[PlanStop(unit_id=f"u{n:02d}", unit_name=f"第{n + 1}督查单位", position=n)
                           for n in range(UNITS)])
        tx.session.add(plan)
        tx.commit()
    with core.uow() as tx:
        for n in range(FINDINGS):
            unit = n % UNITS
            finding_id = str(uuid.uuid4())
            finding = Finding(
                id=finding_id, plan_id=plan_id, unit_id=f"u{unit:02d}", unit_name=f"第{unit + 1}督查单位",
                text=f"第{n + 1}个问题：工作台账记录与实际推进情况不一致，部分数据未及时更新。", category="perfunctory",
                severity="major" if n % 25 == 0 else "general", place="办公楼", recorded_at=NOW - dt.timedelta(minutes=n),
                recorded_by=OFFICE, version=1, updated_at=NOW, rect_mode="ordered", rect_status="ordered",
                rounds=[RectificationRound(number=1, due_date=dt.date(2026, 12, 8), ordered_at=NOW, ordered_by=OFFICE,
                                           requirement="限期整改")])
            if n < PHOTOS:
                photo = accept_photo(photo_samples.jpeg(1600, 1200, target_bytes=200_000, seed=n))
                key = core.storage.put(f"inspection/{finding_id}/p.jpg", photo.data)
                thumb = core.storage.put(f"inspection/{finding_id}/p.thumb.jpg", photo.thumbnail)
                finding.photos = [Photo(id=str(uuid.uuid4()), stage="finding", round=0, position=0, filename="p.jpg",
                                        content_type=photo.content_type, size=len(photo.data), width=photo.width,
                                        height=photo.height, sha256=photo.original_sha256, storage_key=key,
                                        thumbnail_key=thumb)]
            tx.session.add(finding)
        tx.commit()
    app.parts.engine.dispose()
    return plan_id


def issue(home: Path, plan_id: str) -> None:
    app = _app(home)
    system = Actor(user_id="bench", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
    report = reporting.draft_report(app.core, plan_id, system)
    # The report's DOCX alone (the draft, rendered from the database and storage as GetDocument does) ...
    started, cpu = time.perf_counter(), time.process_time()
    reporting.document(app.core, report.id, "", False, system)
    docx_seconds, docx_cpu = time.perf_counter() - started, time.process_time() - cpu
    # ... and issuing it: numbering, the report again and every unit's part, stored.
    started, cpu = time.perf_counter(), time.process_time()
    issued = reporting.issue_report(app.core, report.id, 0, system)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    size = len(app.core.storage.get(issued.docx_key))
    peak_mb = _own_peak_mb()
    print(json.dumps({"docx_seconds": docx_seconds, "docx_cpu_seconds": docx_cpu, "seconds": seconds,
                      "cpu_seconds": cpu_seconds, "peak_mb": peak_mb, "report_mb": size / 1e6, "parts": len(issued.feedback)}))


def _own_peak_mb() -> float:
    """This process's own peak RSS (VmHWM): ru_maxrss of an exec'd child may carry its parent's peak over."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    home = Path(argv[0])
    if len(argv) > 2 and argv[1] == "--issue":
        issue(home, argv[2])
        return 0
    started = time.perf_counter()
    plan_id = prepare(home)
    prepare_seconds = time.perf_counter() - started
    reply = subprocess.run([sys.executable, "-m", "bench.inspection_report_run", str(home), "--issue", plan_id],
                           capture_output=True, text=True, timeout=1200)
    if reply.returncode != 0:
        print(reply.stderr, file=sys.stderr)
        return reply.returncode
    result = json.loads(reply.stdout.strip().splitlines()[-1])
    print(json.dumps({**result, "prepare_seconds": prepare_seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
