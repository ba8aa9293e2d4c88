"""`python -m bench.evaluation_replay_run prepare|replay DIR EVENTS`: prepare writes an evaluation database
whose archive holds EVENTS events of 2026 (straight into event_archive, as the consumer archives them);
replay - in a fresh process - scores the year again as `replay --year 2026` does, timed, with the process's
peak RSS (/proc VmHWM). Each prints one JSON line.

The mix per item (10 events): item.registered, item.assigned, 5 × item.overdue, extension.approved,
item.urged (report missing), item.closed - 60 % of the items closed late, 30 % in time, 10 % open.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sqlite3
import sys
import time
from pathlib import Path

import orjson
from sqlalchemy import insert

from libs.common.calendar import load_calendar
from libs.common.clock import OFFICE_TZ, ManualClock
from libs.common.db import UnitOfWorkFactory, make_engine
from libs.common.migrations import upgrade
from services.evaluation import replaying
from services.evaluation.bootstrap import MIGRATIONS
from services.evaluation.context import Evaluation
from services.evaluation.orm import ArchivedEvent

UNITS = [(f"u{i:02d}", f"单位{i:02d}") for i in range(30)]


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _events(first: int, n_items: int, seq0: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    base = dt.datetime(2026, 3, 2, 9, 0, tzinfo=OFFICE_TZ)
    seq = seq0

    def add(type_: str, source: str, subject: str, day: dt.datetime, data: dict[str, object]) -> None:
        nonlocal seq
        seq += 1
        rows.append({"event_id": f"e{seq:09d}", "type": type_, "source": f"duban/{source}", "subject": subject,
                     "time": day, "topic": f"duban.{source}.events.v1", "partition": seq % 3, "offset": seq,
                     "data": orjson.dumps(data)})

    for i in range(first, first + n_items):
        item_id = f"item-{i:07d}"
        lead, co = UNITS[i % 30], UNITS[(i + 7) % 30]
        day = base + dt.timedelta(days=i % 200)
        due = (day + dt.timedelta(days=9)).date().isoformat()
        add("item.registered", "ledger", item_id, day, {"item": {
            "id": item_id, "item_no": f"2026-{i:05d}", "title": f"事项{i}", "key_tracking": i % 5 == 0,
            "units": [{"unit_id": lead[0], "unit_name": lead[1], "role": "lead"},
                      {"unit_id": co[0], "unit_name": co[1], "role": "co"}],
            "responsible_person": {"id": f"p{i % 300}", "name": f"责任人{i % 300}", "unit_id": lead[0]},
            "responsible_leader": {"id": f"l{i % 12}", "name": f"领导{i % 12}", "unit_id": "dcs"},
            "registered_on": day.date().isoformat(), "due_date": due}})
        add("item.assigned", "tracking", item_id, day, {"item_id": item_id, "due_date": due})
        for k in range(5):
            add("item.overdue", "tracking", item_id, day + dt.timedelta(days=10 + k),
                {"item_id": item_id, "due_date": due, "working_days_late": k + 1})
        add("extension.approved", "tracking", item_id, day + dt.timedelta(days=5), {
            "item_id": item_id, "due_date": (day + dt.timedelta(days=12)).date().isoformat(),
            "original_due_date": due, "extension": {"id": f"x{i}", "unit_id": lead[0], "old_due_date": due,
                                                    "new_due_date": (day + dt.timedelta(days=12)).date().isoformat()}})
        add("item.urged", "tracking", item_id, day + dt.timedelta(days=3), {
            "item_id": item_id, "unit_id": co[0], "reason": "report_missing", "expected_report_id": f"r{i}"})
        if i % 10 != 9:
            closed = day + dt.timedelta(days=8 if i % 10 < 3 else 20)
            add("item.closed", "tracking", item_id, closed, {"item_id": item_id, "completion": {}})
        else:
            add("item.status_changed", "tracking", item_id, day, {"item_id": item_id, "status": "in_progress"})
    return rows


def prepare(home: Path, events: int) -> dict[str, float]:
    home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{home}/evaluation.db")
    upgrade(MIGRATIONS, engine)
    started = time.perf_counter()
    written, first = 0, 0
    while written < events:
        rows = _events(first, 2_000, written)
        rows = rows[:events - written]
        with engine.begin() as conn:
            conn.execute(insert(ArchivedEvent), rows)
        written += len(rows)
        first += 2_000
    return {"events": written, "prepare_seconds": time.perf_counter() - started}


def replay(home: Path) -> dict[str, float]:
    engine = make_engine(f"sqlite:///{home}/evaluation.db")
    e = Evaluation(uow=UnitOfWorkFactory(engine), clock=ManualClock(dt.datetime(2026, 12, 20, tzinfo=OFFICE_TZ)),
                   calendar=load_calendar())
    idle = _peak_mb()
    cpu0, t0 = time.process_time(), time.perf_counter()
    with e.uow.read() as tx:
        book, n = replaying.replay(e, tx, 2026)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"events": n, "entries": len(book.entries), "seconds": seconds, "cpu_seconds": cpu, "peak_mb": _peak_mb(),
            "idle_mb": idle}


def raw(home: Path) -> dict[str, float]:
    """The raw stack's yardstick: the same rows read with sqlite3 and each value parsed by orjson."""
    conn = sqlite3.connect(f"{home}/evaluation.db")
    t0 = time.perf_counter()
    n = 0
    for row in conn.execute("SELECT seq, event_id, type, source, time, topic, partition, offset, data "
                            "FROM event_archive ORDER BY seq"):
        orjson.loads(row[8])
        n += 1
    return {"events": n, "seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}


def main() -> int:
    mode, home = sys.argv[1], Path(sys.argv[2])
    steps = {"prepare": lambda: prepare(home, int(sys.argv[3])), "replay": lambda: replay(home),
             "raw": lambda: raw(home)}
    print(json.dumps(steps[mode]()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
