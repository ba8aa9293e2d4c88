"""Findings as tablets send them on site, through inspection's gRPC in the session's stack (signed by the
operator naming an inspector of the plan, as the gateway will): 50 tablets x 20 findings with a photo
each, with retries, duplicated posts and calls dropped after the service may have committed them; then
the inspection process killed (SIGKILL) in a burst and restarted while the tablets keep retrying.

Each finding is recorded once per client key - ListFindings counts them - and announced once: one
finding.recorded per finding on the topic. (A relay killed between the broker's ack and marking its rows
sent sends those rows again, with the same event id, which consumers drop; so after the kill the check is
one event id per finding, and copies of it are counted, not refused.)
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import grpc
import pytest

from duban.common.v1 import common_pb2
from duban.inspection.v1 import events_pb2, inspection_pb2, inspection_pb2_grpc
from libs.common import photo_samples, topics
from libs.common.idempotency_grpc import METADATA_KEY
from libs.common.testing import EventReader
from scripts.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL

OFFICE = common_pb2.Actor(user_id="office", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
HEAD = common_pb2.Actor(user_id="zhuren", name="张建华", role="office_head", unit_id="dcs", person_id="sv-zhang")
INSPECTORS = (common_pb2.Actor(user_id="inspector", name="马骏", role="inspector", unit_id="dcs", person_id="sv-ma"),
              common_pb2.Actor(user_id="qian", name="钱海燕", role="inspector", unit_id="czj", person_id="st-qian"))
UNITS = ("fgj", "jyj", "zjj", "wjj")
# What a tablet retries: the call did not get through, timed out, was cut, or its key is still in flight.
RETRIED = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED,
           grpc.StatusCode.ABORTED}


def new_plan(stack: Stack, title: str) -> str:
    """An approved plan whose team is 马骏 (leader) and 钱海燕 (seconded from 区财政局)."""
    with stack.channel("inspection") as channel:
        stub = inspection_pb2_grpc.InspectionServiceStub(channel)
        today = dt.date.today().isoformat()
        plan = stub.CreatePlan(inspection_pb2.CreatePlanRequest(actor=OFFICE, draft=inspection_pb2.PlanDraft(
            title=title, kind="special", starts_on=today, ends_on=today, leader_id="sv-ma",
            stops=[inspection_pb2.PlanStop(unit_id=u) for u in UNITS],
            members=[inspection_pb2.PlanMember(person=common_pb2.PersonSnapshot(id="st-qian"),
                                               seconded_from_unit_id="czj")])), timeout=10).plan
        stub.ApprovePlan(inspection_pb2.ApprovePlanRequest(plan_id=plan.id, actor=HEAD), timeout=10)
    return plan.id


@dataclass
class Tablet:
    """One inspector's device: records its findings one after another, each with its own client key,
    and sends each until the service answers."""

    stack: Stack
    plan_id: str
    number: int
    findings: int
    deadline: float  # time.monotonic() after which the tablet gives up (the test then fails)
    faults: bool = True  # drop, cut, double and resend calls on purpose
    idempotency_keys: bool = False  # also send the key as `idempotency-key` metadata (the gateway's way)
    answers: dict[str, set[str]] = field(default_factory=dict)  # client key -> finding ids answered
    seen: Counter[str] = field(default_factory=Counter)  # what happened on the way

    def __post_init__(self) -> None:
        self.rng = random.Random(self.number)
        self.actor = INSPECTORS[self.number % len(INSPECTORS)]
        self.photo = photo_samples.jpeg(320, 240, gps=(36.5025, 102.1043), seed=self.number, extras=False)
        self.lock = threading.Lock()
        self.started = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def request(self, n: int) -> tuple[inspection_pb2.RecordFindingRequest, tuple[tuple[str, str], ...]]:
        key = f"t{self.number:02d}-{n:02d}-{uuid.uuid4().hex[:8]}"
        request = inspection_pb2.RecordFindingRequest(
            plan_id=self.plan_id, unit_id=UNITS[n % len(UNITS)], text=f"第{self.number}号终端记录的第{n}个问题（{key}）",
            category="other", severity="general", place="现场", client_key=key, actor=self.actor,
            position=inspection_pb2.GeoPosition(latitude=36.5025, longitude=102.1043, accuracy_m=10),
            photos=[inspection_pb2.Photo(filename=f"IMG_{n:04d}.jpg", data=self.photo)])
        request.device_time.FromDatetime(self.started - dt.timedelta(minutes=60 - n))
        return request, ((METADATA_KEY, key),) if self.idempotency_keys else ()

    def _answered(self, key: str, reply: inspection_pb2.FindingResponse) -> None:
        with self.lock:
            self.answers.setdefault(key, set()).add(reply.finding.id)
            self.seen["duplicate answers" if reply.duplicate else "first answers"] += 1

    def until_answered(self, stub: inspection_pb2_grpc.InspectionServiceStub, request: inspection_pb2.RecordFindingRequest,
                       metadata: tuple[tuple[str, str], ...]) -> None:
        attempt = 0
        while True:
            try:
                self._answered(request.client_key, stub.RecordFinding(request, timeout=20, metadata=metadata))
                return
            except grpc.RpcError as error:
                with self.lock:
                    self.seen[f"retried {error.code().name}"] += 1
                if error.code() not in RETRIED or time.monotonic() > self.deadline:
                    raise
            time.sleep(self.rng.uniform(0, min(0.5, 0.02 * 2 ** attempt)))
            attempt += 1

    def _tried(self, call: Callable[[], object], what: str) -> None:
        """A call that is meant to fail part way (its finding may or may not be recorded)."""
        try:
            call()
            outcome = "answered anyway"
        except grpc.FutureCancelledError:
            outcome = "CANCELLED"
        except grpc.RpcError as error:
            outcome = error.code().name
        with self.lock:
            self.seen[f"{what}: {outcome}"] += 1

    def run(self) -> None:
        with self.stack.channel("inspection") as channel:
            stub = inspection_pb2_grpc.InspectionServiceStub(channel)
            for n in range(self.findings):
                request, metadata = self.request(n)
                fault = self.rng.random() if self.faults else 1.0
                if fault < 0.15:  # the answer is lost: the deadline passes while the service records it
                    self._tried(functools.partial(stub.RecordFinding, request, metadata=metadata,
                                                  timeout=self.rng.uniform(0.002, 0.08)), "deadline")
                elif fault < 0.25:  # the connection drops mid-call
                    with self.stack.channel("inspection") as doomed:
                        call = inspection_pb2_grpc.InspectionServiceStub(doomed).RecordFinding.future(
                            request, timeout=20, metadata=metadata)
                        time.sleep(self.rng.uniform(0, 0.05))
                    self._tried(call.result, "dropped")
                elif fault < 0.35:  # sent twice at once (a double tap, or the tablet's queue and the user)
                    twin = threading.Thread(target=self.until_answered, args=(stub, request, metadata))
                    twin.start()
                    self.until_answered(stub, request, metadata)
                    twin.join()
                self.until_answered(stub, request, metadata)
                if self.faults and fault > 0.9:  # sent again later: the tablet did not see the answer
                    self.until_answered(stub, request, metadata)


def run_tablets(tablets: list[Tablet]) -> None:
    with ThreadPoolExecutor(max_workers=len(tablets)) as pool:
        for done in [pool.submit(t.run) for t in tablets]:
            done.result()


def listed(stack: Stack, plan_id: str) -> tuple[int, list[inspection_pb2.Finding]]:
    """(ListFindings' total, every finding of the plan, page by page)."""
    found: list[inspection_pb2.Finding] = []
    token, total = "", -1
    with stack.channel("inspection") as channel:
        stub = inspection_pb2_grpc.InspectionServiceStub(channel)
        for _ in range(100):  # bounded: 200 a page
            page = stub.ListFindings(inspection_pb2.ListFindingsRequest(
                plan_id=plan_id, page_size=200, page_token=token, actor=OFFICE), timeout=20)
            total = page.total_size if total < 0 else total
            found.extend(page.findings)
            token = page.next_page_token
            if not token:
                break
    return total, found


def key_of(finding: inspection_pb2.Finding) -> str:
    """The client key the tablet wrote into the finding's text (the API does not return it)."""
    return finding.text.rsplit("（", 1)[1].rstrip("）")


def recorded_events(stack: Stack, plan_id: str, expected: int, timeout: float = 60) -> dict[str, list[str]]:
    """finding.recorded of the plan on the topic, from its beginning: finding id -> the event ids read (one
    entry per copy). Reads until `expected` findings are announced, then a little longer for late copies."""
    assert stack.broker is not None
    reader = EventReader(stack.broker.bootstrap, topics.INSPECTION_EVENTS)
    by_finding: dict[str, list[str]] = {}
    done = 0  # events already looked at: the predicate is called with the whole list each time

    def tally(events: list) -> bool:
        nonlocal done
        for event in events[done:]:
            if event.type == "finding.recorded" and plan_id.encode() in event.data:
                finding = event.decode(events_pb2.FindingRecorded()).finding
                if finding.plan_id == plan_id:
                    by_finding.setdefault(finding.id, []).append(event.id)
        done = len(events)
        return len(by_finding) >= expected

    try:
        reader.poll_until(tally, timeout=timeout)
        reader.poll_until(lambda events: tally(events) and False, timeout=2)  # copies arriving late
    finally:
        reader.close()
    return by_finding


def check_once(stack: Stack, plan_id: str, tablets: list[Tablet], strict_copies: bool) -> dict[str, int]:
    """Every client key answered with one finding, recorded once and announced once; some numbers."""
    keys = {key: ids for t in tablets for key, ids in t.answers.items()}
    assert len(keys) == sum(t.findings for t in tablets), "a tablet stopped before all its findings were answered"
    assert [key for key, ids in keys.items() if len(ids) != 1] == [], "a key answered with two findings"
    total, findings = listed(stack, plan_id)
    expected = len(keys)
    assert total == len(findings) == expected
    assert len({f.id for f in findings}) == expected and sorted(key_of(f) for f in findings) == sorted(keys)
    assert {f.id for f in findings} == {next(iter(ids)) for ids in keys.values()}  # each the one its key got
    events = recorded_events(stack, plan_id, expected)
    assert set(events) == {f.id for f in findings}
    assert [f for f, ids in events.items() if len(set(ids)) != 1] == [], "a finding announced by two events"
    copies = sum(len(ids) - 1 for ids in events.values())
    if strict_copies:
        assert copies == 0
    seen: Counter[str] = sum((t.seen for t in tablets), Counter())
    return {"findings": total, "events": sum(len(ids) for ids in events.values()), "copies": copies, **seen}


@pytest.mark.slow
def test_fifty_tablets_record_twenty_findings_each_once(stack: Stack) -> None:
    plan_id = new_plan(stack, f"并发记录问题{uuid.uuid4().hex[:6]}")
    started = time.monotonic()
    tablets = [Tablet(stack, plan_id, n, 20, deadline=started + 150, idempotency_keys=n % 3 == 0) for n in range(50)]
    run_tablets(tablets)
    took = time.monotonic() - started
    numbers = check_once(stack, plan_id, tablets, strict_copies=True)
    print(f"\n50 tablets x 20 findings in {took:.1f} s: {dict(sorted(numbers.items()))}")
    assert numbers["findings"] == numbers["events"] == 1000
    # The faults happened: answers lost after the service recorded them were answered as duplicates.
    assert numbers["duplicate answers"] > 0 and numbers["deadline: DEADLINE_EXCEEDED"] > 0


@pytest.mark.slow
def test_findings_survive_inspection_killed_in_a_burst(stack: Stack) -> None:
    plan_id = new_plan(stack, f"重启中记录问题{uuid.uuid4().hex[:6]}")
    started = time.monotonic()
    tablets = [Tablet(stack, plan_id, 100 + n, 10, deadline=started + 120, faults=False) for n in range(20)]
    burst = threading.Thread(target=run_tablets, args=(tablets,))
    burst.start()
    while sum(len(t.answers) for t in tablets) < 40:  # well into the burst, most of it still to come
        assert burst.is_alive() and time.monotonic() < started + 60, "the burst ended before the kill"
        time.sleep(0.01)
    answered_before = sum(len(t.answers) for t in tablets)
    stack.processes["inspection"].kill()  # SIGKILL: calls in flight die with it, nothing is handed back
    stack.start_service("inspection")
    burst.join(timeout=150)
    assert not burst.is_alive()
    numbers = check_once(stack, plan_id, tablets, strict_copies=False)
    print(f"\nkilled after {answered_before} of 200 findings, all in {time.monotonic() - started:.1f} s: "
          f"{dict(sorted(numbers.items()))}")
    assert numbers["findings"] == 200 and numbers.get("retried UNAVAILABLE", 0) > 0
