"""The whole stack as processes: items registered through the REST API, a burst of their closures on
tracking's topic (as tracking's outbox publishes them), and the evaluation process killed (SIGKILL) in the
middle of it. Restarted, it catches up; its totals are then what a clean replay of the archive gives,
each total the sum of its entries, and every event archived once."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator

import pytest
import requests
from sqlalchemy import Engine, create_engine, text

from duban.common.v1 import common_pb2
from duban.evaluation.v1 import evaluation_pb2 as pb
from duban.evaluation.v1 import evaluation_pb2_grpc
from scripts.stack import Stack
from services.evaluation.tests.conftest import Upstream
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL

ASSESS = common_pb2.Actor(user_id="kaohe", name="考核办", role="assessment")
ITEMS = 200  # closures in the burst: half on their registration day, half ten days after their deadline


def wait(what: str, done: Callable[[], bool], timeout: float = 60.0, every: float = 0.1,
         state: Callable[[], object] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"gave up waiting: {what} {state()}"
        time.sleep(every)


@pytest.fixture()
def scores(stack: Stack) -> Iterator[evaluation_pb2_grpc.EvaluationServiceStub]:
    """Evaluation's API; the channel reconnects to the restarted process (same port)."""
    with stack.channel("evaluation") as channel:
        yield evaluation_pb2_grpc.EvaluationServiceStub(channel)


@pytest.fixture()
def evaluation_db(stack: Stack) -> Iterator[Engine]:
    """The evaluation's own database, read to count what it archived (no API lists archived events)."""
    engine = create_engine(stack.database_urls["evaluation"])
    yield engine
    engine.dispose()


@pytest.mark.slow
def test_evaluation_killed_mid_burst_catches_up_to_a_clean_replay(
    stack: Stack, scores: evaluation_pb2_grpc.EvaluationServiceStub, evaluation_db: Engine
) -> None:
    office = token(stack, "office")
    tag = uuid.uuid4().hex[:6]
    items = []
    with requests.Session() as http:
        for i in range(ITEMS):
            reply = http.post(f"{stack.url}/api/v1/items", headers={**office, "Idempotency-Key": f"ev-{tag}-{i}"},
                              timeout=30, json={"title": f"考核{tag}-{i}", "source": "leader_assignment",
                                                "category": "general", "lead_unit_id": "fgj",
                                                "responsible_leader_id": "ld-li"})
            assert reply.status_code == 201, reply.text
            items.append(reply.json())
    ids = [i["id"] for i in items]

    def archived(kind: str) -> int:
        with evaluation_db.connect() as db:
            return db.execute(text("SELECT count(*) FROM event_archive WHERE type = :t AND subject = ANY(:ids)"),
                              {"t": kind, "ids": ids}).scalar_one()

    # Evaluation knows the items and their deadlines from the ledger's events.
    wait("registrations archived", lambda: archived("item.registered") == ITEMS, timeout=120, every=0.5,
         state=lambda: archived("item.registered"))
    year = int(items[0]["registered_on"][:4])

    up = Upstream(stack.broker.bootstrap if stack.broker else "")
    late = {i["id"] for i in items[1::2]}

    def close(item: dict) -> str:
        due = dt.date.fromisoformat(item["due_date"])
        day = due + dt.timedelta(days=10) if item["id"] in late else dt.date.fromisoformat(item["registered_on"])
        return up.closed(item["id"], day.isoformat()).id

    sent = [close(item) for item in items[: ITEMS // 2]]
    # SIGKILL once evaluation is scoring the burst: a batch in its transaction is lost with the process.
    wait("the burst being scored", lambda: archived("item.closed") > 0, every=0.02)
    stack.processes["evaluation"].kill()
    sent += [close(item) for item in items[ITEMS // 2:]]  # the rest while it is down
    stack.start_service("evaluation")
    wait("the burst archived after the restart", lambda: archived("item.closed") == ITEMS, every=0.2)
    # The ledger fills each item's closure from the same events (item.updated): caught up when it is quiet.
    last = [-1]

    def quiet() -> bool:
        now = scores.GetYear(pb.GetYearRequest(year=year, actor=ASSESS), timeout=10).events_archived
        settled, last[0] = now == last[0], now
        return settled

    wait("evaluation caught up", quiet, every=1.5)

    with evaluation_db.connect() as db:  # every event archived once: the burst's ids, and no id twice
        ours = db.execute(text("SELECT event_id FROM event_archive WHERE event_id = ANY(:ids)"),
                          {"ids": sent}).scalars().all()
        twice = db.execute(text("SELECT event_id FROM event_archive GROUP BY event_id HAVING count(*) > 1")).all()
    assert sorted(ours) == sorted(sent) and twice == []

    replay = scores.ReplayYear(pb.ReplayYearRequest(year=year, actor=ASSESS), timeout=120)
    assert replay.identical, [f"{d.subject.kind}:{d.subject.id} {d.before} -> {d.after}" for d in replay.diff]

    entries: list[pb.ScoreEntry] = []
    page = ""
    while True:
        answer = scores.ListEntries(pb.ListEntriesRequest(year=year, page_size=500, page_token=page, actor=ASSESS),
                                    timeout=30)
        entries += answer.entries
        if not (page := answer.next_page_token):
            break
    sums: dict[str, float] = defaultdict(float)
    for e in entries:
        if e.state == "counted":
            sums[f"{e.subject.kind}:{e.subject.id}"] += e.points
    totals = {f"{t.subject.kind}:{t.subject.id}": t.total
              for t in scores.ListTotals(pb.ListTotalsRequest(year=year, actor=ASSESS), timeout=30).totals}
    assert totals == pytest.approx(dict(sums))
    # Each closure scored once, for the lead unit and the responsible leader, on time or late as sent.
    rules = Counter((e.item_id, e.rule) for e in entries if e.item_id in set(ids))
    assert rules == Counter({(i, "closed_late" if i in late else "closed_on_time"): 2 for i in ids})
    assert totals["unit:fgj"] and totals["leader:ld-li"]
