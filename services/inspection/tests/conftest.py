"""Ledger and inspection together, in-process, on real gRPC servers, real databases and the session broker.

Inspection names units and people through the ledger's gRPC (as itself) and learns items from the
ledger's events, so every test module runs both; once on SQLite, once on PostgreSQL.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from duban.common.v1 import common_pb2
from duban.inspection.v1 import inspection_pb2, inspection_pb2_grpc
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from libs.common.broker import Broker
from libs.common.clock import ManualClock
from libs.common.testing import postgres_database, running_service
from services.inspection.bootstrap import InspectionApp, bootstrap
from services.inspection.config import Settings
from services.ledger.tests.conftest import START, started_ledger

OFFICE = common_pb2.Actor(user_id="1", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
HEAD = common_pb2.Actor(user_id="9", name="张主任", role="office_head", unit_id="dcs", person_id="sv-zhang")
INSPECTOR = common_pb2.Actor(user_id="6", name="马骏", role="inspector", unit_id="dcs", person_id="sv-ma")
SECONDED = common_pb2.Actor(user_id="7", name="钱多", role="inspector", unit_id="czj", person_id="st-qian")
OUTSIDER = common_pb2.Actor(user_id="8", name="孙某", role="inspector", unit_id="dcs", person_id="sv-sun")
FGJ = common_pb2.Actor(user_id="2", name="陈静", role="unit_staff", unit_id="fgj", person_id="st-chen")
JYJ = common_pb2.Actor(user_id="3", name="刘洋", role="unit_staff", unit_id="jyj", person_id="st-liu2")
LEADER_LI = common_pb2.Actor(user_id="4", name="李明", role="leader", unit_id="dcs", person_id="ld-li")
LEADER_ZHAO = common_pb2.Actor(user_id="5", name="赵强", role="leader", unit_id="dcs", person_id="ld-zhao")


def seed_team(ledger: ledger_pb2_grpc.LedgerServiceStub) -> None:
    """The people an inspection needs beyond the ledger tests' directory: the office head, inspectors,
    one of them seconded from the finance bureau."""
    ledger.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(
        id="czj", name="区财政局", kind="department", active=True)), timeout=5)
    for pid, name, unit, role, title in (("sv-zhang", "张主任", "dcs", "supervisor", "督查室主任"),
                                         ("sv-ma", "马骏", "dcs", "supervisor", ""),
                                         ("st-qian", "钱多", "czj", "staff", "")):
        ledger.UpsertPerson(ledger_pb2.UpsertPersonRequest(person=ledger_pb2.Person(
            id=pid, name=name, unit_id=unit, role=role, title=title, active=True)), timeout=5)


@dataclass
class Trio:
    ledger: ledger_pb2_grpc.LedgerServiceStub
    inspection: inspection_pb2_grpc.InspectionServiceStub
    clock: ManualClock
    app: InspectionApp

    def register(self, **fields: Any) -> ledger_pb2.Item:
        body: dict[str, Any] = dict(title=f"督查事项{uuid.uuid4().hex[:6]}", source="leader_assignment",
                                    category="general", lead_unit_id="fgj", responsible_leader_id="ld-li",
                                    actor=OFFICE) | fields
        item = self.ledger.RegisterItem(ledger_pb2.RegisterItemRequest(**body), timeout=10).item
        self.wait(lambda: self._known(item.id))
        return item

    def _known(self, item_id: str) -> bool:
        from services.inspection.orm import KnownItem

        with self.app.uow.read() as tx:
            return tx.session.get(KnownItem, item_id) is not None

    @staticmethod
    def wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(0.05)

    def approved_plan(self, item_ids: list[str], units: tuple[str, ...] = ("fgj", "jyj")) -> inspection_pb2.Plan:
        """A plan the office drafted and its head approved: 马骏 leads, 钱多 (seconded from 财政局) is a member."""
        draft = inspection_pb2.PlanDraft(
            title="重点工作推进情况专项督查", kind="special", starts_on="2026-11-26", ends_on="2026-12-10",
            item_ids=item_ids, stops=[inspection_pb2.PlanStop(unit_id=u, place="单位办公楼") for u in units],
            leader_id="sv-ma",
            members=[inspection_pb2.PlanMember(person=common_pb2.PersonSnapshot(id="st-qian"), seconded_from_unit_id="czj")],
            training=["督查纪律", "问题认定标准"], preparation="调阅台账和前期汇报")
        plan = self.inspection.CreatePlan(inspection_pb2.CreatePlanRequest(draft=draft, actor=OFFICE), timeout=10).plan
        return self.inspection.ApprovePlan(inspection_pb2.ApprovePlanRequest(plan_id=plan.id, actor=HEAD),
                                           timeout=10).plan


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def trio(request: pytest.FixtureRequest, broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trio]:
    base = tmp_path_factory.mktemp("inspection")
    with running_trio(broker, base, request.param) as running:
        yield running


@contextmanager
def running_trio(broker: Broker, base: Path, kind: str = "sqlite", env: dict[str, str] | None = None) -> Iterator[Trio]:
    clock = ManualClock(START)
    with ExitStack() as stack:
        if kind == "sqlite":
            ledger_url, inspection_url = f"sqlite:///{base}/l.db", f"sqlite:///{base}/i.db"
        else:
            ledger_url = stack.enter_context(postgres_database("duban_insp_ledger"))
            inspection_url = stack.enter_context(postgres_database("duban_insp"))
        ledger = stack.enter_context(started_ledger(kind, ledger_url, broker, clock))
        seed_team(ledger.stub)
        running = stack.enter_context(running_service(
            bootstrap, Settings.from_env, broker.bootstrap, inspection_url, clock,
            {"DUBAN_SWEEP_INTERVAL_SECONDS": "0", "DUBAN_STORAGE_DIR": str(base / "files"),
             "DUBAN_LEDGER_ADDR": f"127.0.0.1:{ledger.port}", **(env or {})}))
        yield Trio(ledger.stub, running.stub(), clock, running.app)
