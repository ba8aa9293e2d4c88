"""A real ledger gRPC server on a free port, on SQLite and on PostgreSQL, with the session's broker."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from libs.common.broker import Broker
from libs.common.clock import OFFICE_TZ, ManualClock
from libs.common.testing import postgres_database, running_service
from services.ledger.bootstrap import LedgerApp, bootstrap
from services.ledger.config import Settings

OFFICE = common_pb2.Actor(user_id="u-office", name="督查室王芳", role="office", unit_id="dcs")
START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=OFFICE_TZ)


@dataclass
class LedgerUnderTest:
    app: LedgerApp
    stub: ledger_pb2_grpc.LedgerServiceStub
    clock: ManualClock
    kind: str
    port: int

    @contextmanager
    def today_is(self, day: dt.date) -> Iterator[None]:
        """A registration may not be dated after today: move the clock (and back) for one that must be."""
        before = self.clock.now()
        self.clock.set(dt.datetime.combine(day, dt.time(9), OFFICE_TZ))
        try:
            yield
        finally:
            self.clock.set(before)

    def register(self, **fields) -> ledger_pb2.Item:
        defaults: dict[str, Any] = dict(title="测试事项", source="other", category="general", lead_unit_id="fgj", actor=OFFICE)
        defaults.update(fields)
        return self.stub.RegisterItem(ledger_pb2.RegisterItemRequest(**defaults), timeout=10).item

    def start_import(self, content: bytes, filename: str = "台账.xlsx", mode: str = "",
                     actor: common_pb2.Actor = OFFICE) -> ledger_pb2.ImportJob:
        return self.stub.StartImport(ledger_pb2.StartImportRequest(
            filename=filename, content=content, mode=mode, actor=actor), timeout=10).job

    def job(self, job_id: str) -> ledger_pb2.ImportJob:
        return self.stub.GetImportJob(ledger_pb2.GetImportJobRequest(id=job_id), timeout=10).job

    def wait_for_job(self, job_id: str, until: Callable[[ledger_pb2.ImportJob], bool] | None = None,
                     timeout: float = 60.0) -> ledger_pb2.ImportJob:
        """Poll the job's status (as the page does) until it ended, or until `until` holds."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if (until(job) if until else job.state in ("finished", "failed")):
                return job
            assert time.monotonic() < deadline, f"import job still {job.state} ({job.phase} {job.done})"
            time.sleep(0.05)

    def import_file(self, content: bytes, filename: str = "台账.xlsx", mode: str = "") -> ledger_pb2.ImportJob:
        """Start an import and wait for its end."""
        return self.wait_for_job(self.start_import(content, filename, mode).id)


def seed_directory(stub: ledger_pb2_grpc.LedgerServiceStub) -> None:
    for uid, name in (("fgj", "区发展和改革局"), ("jyj", "区教育局"), ("zjj", "区住房和城乡建设局"), ("dcs", "区委区政府督查室")):
        stub.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(id=uid, name=name, kind="department",
                                                                          active=True)), timeout=5)
    people = (
        ("ld-li", "李明", "dcs", "leader", "副区长"),
        ("ld-zhao", "赵强", "dcs", "leader", "区长"),
        ("st-chen", "陈静", "fgj", "staff", ""),
        ("sv-wang", "王芳", "dcs", "supervisor", ""),
        ("st-liu1", "刘洋", "fgj", "staff", ""),
        ("st-liu2", "刘洋", "jyj", "staff", ""),  # same name, another unit
    )
    for pid, name, unit, role, title in people:
        stub.UpsertPerson(ledger_pb2.UpsertPersonRequest(person=ledger_pb2.Person(
            id=pid, name=name, unit_id=unit, role=role, title=title, active=True)), timeout=5)


@contextmanager
def started_ledger(kind: str, url: str, broker: Broker, clock: ManualClock | None = None,
                   settings: Mapping[str, str] | None = None, **env: str) -> Iterator[LedgerUnderTest]:
    """`settings` and `env`: environment variables of the ledger (its Settings.from_env)."""
    clock = clock or ManualClock(START)
    with running_service(bootstrap, Settings.from_env, broker.bootstrap, url, clock, {**(settings or {}), **env}) as running:
        stub = running.stub()
        seed_directory(stub)
        yield LedgerUnderTest(running.app, stub, clock, kind, running.port)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request, broker, tmp_path_factory) -> Iterator[LedgerUnderTest]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('ledger')}/ledger.db"
        else:
            url = stack.enter_context(postgres_database("duban_ledger"))
        yield stack.enter_context(started_ledger(request.param, url, broker))
