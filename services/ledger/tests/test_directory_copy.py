"""Registrations check units and people against an in-memory copy of the directory that is exact: it is
read once, not again per registration, and a change through UpsertUnit/UpsertPerson is seen by the very
next registration (SQLite and PostgreSQL, through the real gRPC server)."""

from __future__ import annotations

import grpc
import pytest

from duban.ledger.v1 import ledger_pb2


def _refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def test_the_directory_is_read_once_and_again_only_after_a_change(ledger) -> None:
    copy = ledger.app.core.directory
    ledger.register(title="先读一次目录")
    loads = copy.loads
    for n in range(5):
        ledger.register(title=f"目录未变{n}", responsible_person_id="st-chen")
    assert copy.loads == loads  # five registrations, no reload

    ledger.stub.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(
        id="tmpunit", name="区临时专班", kind="department", active=True)), timeout=5)
    item = ledger.register(title="新单位牵头", lead_unit_id="tmpunit")
    assert [u.unit_name for u in item.units] == ["区临时专班"] and copy.loads == loads + 1

    ledger.stub.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(
        id="tmpunit", name="区临时专班", kind="department", active=False)), timeout=5)
    refused = _refused(lambda: ledger.register(title="已撤销单位", lead_unit_id="tmpunit"))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and "lead_unit_id" in (refused.details() or "")

    ledger.stub.UpsertPerson(ledger_pb2.UpsertPersonRequest(person=ledger_pb2.Person(
        id="ld-new", name="孙伟", unit_id="dcs", role="leader", title="副区长", active=True)), timeout=5)
    item = ledger.register(title="新领导负责", responsible_leader_id="ld-new")
    assert (item.responsible_leader.name, item.responsible_leader.unit_name) == ("孙伟", "区委区政府督查室")

    ledger.stub.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(
        id="dcs", name="区委区政府督查室（综合科）", kind="department", active=True)), timeout=5)
    item = ledger.register(title="单位改名后", responsible_leader_id="ld-new")
    assert item.responsible_leader.unit_name == "区委区政府督查室（综合科）"
