"""Idempotency keys on every ledger write, against the real server and database (SQLite and PostgreSQL):
a retry replays the first answer and writes nothing, another body is refused, another caller's key is
its own, a duplicate in flight is a conflict; keys past the retention act as new and are pruned."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import grpc
import pytest
from openpyxl import Workbook
from prometheus_client import REGISTRY

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common.idempotency_grpc import METADATA_KEY
from libs.common.testing import IdempotencyProbe, KeyedWrite, changed, with_actor
from services.ledger.grpc_api import SERVICE_NAME, WRITE_METHODS
from services.ledger.tests.conftest import OFFICE, LedgerUnderTest

ADMIN = common_pb2.Actor(user_id="u-admin", name="管理员", role="admin")
OFFICE_2 = common_pb2.Actor(user_id="u-office-2", name="督查室李娜", role="office", unit_id="dcs")
ADMIN_2 = common_pb2.Actor(user_id="u-admin-2", name="管理员乙", role="admin")


def probe(ledger: LedgerUnderTest) -> IdempotencyProbe:
    return IdempotencyProbe(SERVICE_NAME, ledger.stub, ledger.app.uow.engine, ledger.app.parts.idempotency)


def sheet(title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["督查事项台账"])
    ws.append(["序号", "事项名称", "事项来源", "事项类别", "牵头单位", "立项时间"])
    ws.append([1, title, "其他重要事项", "一般事项", "区发展和改革局", "2026-11-20"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def register_item(ledger: LedgerUnderTest) -> KeyedWrite:
    req = ledger_pb2.RegisterItemRequest(title=f"幂等{uuid.uuid4().hex[:6]}", source="other", category="general",
                                         lead_unit_id="fgj", actor=OFFICE)
    return KeyedWrite("RegisterItem", req, changed(req, title=req.title + "改"), with_actor(req, ADMIN), True, 1)


def update_item(ledger: LedgerUnderTest) -> KeyedWrite:
    item = ledger.register()
    req = ledger_pb2.UpdateItemRequest(id=item.id, patch=ledger_pb2.ItemPatch(remarks="第一次修改"), actor=OFFICE)
    other = ledger_pb2.UpdateItemRequest(id=item.id, patch=ledger_pb2.ItemPatch(remarks="另一修改"), actor=OFFICE)
    return KeyedWrite("UpdateItem", req, other, with_actor(other, OFFICE_2), True, 1)


def upsert_unit(ledger: LedgerUnderTest) -> KeyedWrite:
    unit = ledger_pb2.Unit(id=f"u{uuid.uuid4().hex[:8]}", name=f"单位{uuid.uuid4().hex[:6]}", kind="department",
                           active=True)
    req = ledger_pb2.UpsertUnitRequest(unit=unit, actor=ADMIN)  # the directory is the admin's (permissions)
    other = ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(id=unit.id, name=unit.name + "改", kind="department",
                                                              active=True), actor=ADMIN)
    return KeyedWrite("UpsertUnit", req, other, with_actor(other, ADMIN_2), True, 0)


def upsert_person(ledger: LedgerUnderTest) -> KeyedWrite:
    person = ledger_pb2.Person(id=f"p{uuid.uuid4().hex[:8]}", name="张三", unit_id="fgj", role="staff", active=True)
    req = ledger_pb2.UpsertPersonRequest(person=person, actor=ADMIN)
    other = ledger_pb2.UpsertPersonRequest(person=ledger_pb2.Person(
        id=person.id, name="张三丰", unit_id="fgj", role="staff", active=True), actor=ADMIN)
    return KeyedWrite("UpsertPerson", req, other, with_actor(other, ADMIN_2), True, 0)


def start_import(ledger: LedgerUnderTest) -> KeyedWrite:
    # A check only: the job it queues writes no row of its own, so the probe's counts stay put while it runs.
    req = ledger_pb2.StartImportRequest(filename="台账.xlsx", content=sheet(f"导入{uuid.uuid4().hex[:6]}"),
                                        mode="validate", actor=OFFICE)
    # Another caller importing the same file gets a job of their own.
    return KeyedWrite("StartImport", req, changed(req, mode="good_rows"), with_actor(req, ADMIN), True, 0)


def test_a_retried_upload_queues_one_job(ledger: LedgerUnderTest) -> None:
    """The job is the answer kept with the key: the retry names the same job and queues nothing more."""
    key, p = str(uuid.uuid4()), probe(ledger)
    req = ledger_pb2.StartImportRequest(filename="台账.xlsx", content=sheet(f"重试{uuid.uuid4().hex[:6]}"),
                                        actor=OFFICE)
    first, _ = p.call("StartImport", req, key)
    again, replayed = p.call("StartImport", req, key)
    assert replayed and again.job.id == first.job.id
    done = ledger.wait_for_job(first.job.id)
    assert done.outcome == "imported" and done.created == 1
    assert [j.id for j in ledger.stub.ListImportJobs(ledger_pb2.ListImportJobsRequest(), timeout=10).jobs
            ].count(first.job.id) == 1


def recompute(ledger: LedgerUnderTest) -> KeyedWrite:
    req = ledger_pb2.RecomputeProvisionalDueDatesRequest(actor=OFFICE)
    return KeyedWrite("RecomputeProvisionalDueDates", req, None, with_actor(req, ADMIN), True, 0)


WRITES = {w.__name__: w for w in (register_item, update_item, upsert_unit, upsert_person, start_import, recompute)}


def test_every_write_method_is_covered() -> None:
    methods = {m.rsplit("/", 1)[-1] for m in WRITE_METHODS}
    assert methods == {"RegisterItem", "UpdateItem", "UpsertUnit", "UpsertPerson", "StartImport",
                       "RecomputeProvisionalDueDates"}


@pytest.mark.parametrize("write", list(WRITES))
def test_keyed_write(ledger: LedgerUnderTest, write: str) -> None:
    probe(ledger).check(WRITES[write](ledger))


def test_the_same_key_by_another_caller_registers_their_own_item(ledger: LedgerUnderTest) -> None:
    key, p = str(uuid.uuid4()), probe(ledger)
    write = register_item(ledger)
    office_item, _ = p.call("RegisterItem", write.request, key)
    admin_item, replayed = p.call("RegisterItem", write.other_caller, key)
    assert not replayed and admin_item.item.id != office_item.item.id


def test_a_replay_answers_as_first_even_after_the_state_moved_on(ledger: LedgerUnderTest) -> None:
    """An upsert retried late must not undo a later change (and the replay is counted)."""
    write, p, key = upsert_unit(ledger), probe(ledger), str(uuid.uuid4())
    first, _ = p.call("UpsertUnit", write.request, key)
    assert write.other_body is not None
    ledger.stub.UpsertUnit(write.other_body, timeout=10)  # someone renamed it since
    labels = {"service": "ledger", "method": "UpsertUnit", "outcome": "replayed"}
    counted = REGISTRY.get_sample_value("duban_idempotent_replays_total", labels) or 0
    again, replayed = p.call("UpsertUnit", write.request, key)
    assert replayed and again == first
    units = ledger.stub.ListUnits(ledger_pb2.ListUnitsRequest(include_inactive=True), timeout=10).units
    assert next(u.name for u in units if u.id == write.request.unit.id) == write.other_body.unit.name
    assert REGISTRY.get_sample_value("duban_idempotent_replays_total", labels) == counted + 1


def test_without_a_key_a_write_runs_every_time_and_request_id_still_replays(ledger: LedgerUnderTest) -> None:
    req = register_item(ledger).request
    first = ledger.stub.RegisterItem(req, timeout=10).item
    assert ledger.stub.RegisterItem(req, timeout=10).item.id != first.id
    keyed = changed(req, request_id=str(uuid.uuid4()))
    once = ledger.stub.RegisterItem(keyed, timeout=10)
    twice = ledger.stub.RegisterItem(keyed, timeout=10)
    assert (once.replayed, twice.replayed, twice.item.id) == (False, True, once.item.id)


def test_a_key_longer_than_128_characters_is_refused(ledger: LedgerUnderTest) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        ledger.stub.RegisterItem(register_item(ledger).request, metadata=((METADATA_KEY, "k" * 129),), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "idempotency_key" in (refused.value.details() or "")


def test_keys_past_the_retention_act_as_new_and_are_pruned(ledger: LedgerUnderTest) -> None:
    store, p, key = ledger.app.parts.idempotency, probe(ledger), str(uuid.uuid4())
    write = register_item(ledger)
    first, _ = p.call("RegisterItem", write.request, key)
    real_now = store.now
    try:
        store.now = lambda: real_now() + dt.timedelta(hours=24, seconds=1)
        assert store.prune() >= 1
        again, replayed = p.call("RegisterItem", write.request, key)
        assert not replayed and again.item.id != first.item.id
    finally:
        store.now = real_now
