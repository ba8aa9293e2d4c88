"""LedgerService against a running gRPC server and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common.grpc_errors import from_rpc_error
from services.ledger.tests.conftest import OFFICE, LedgerUnderTest


def field_errors(call) -> dict[str, str]:
    with pytest.raises(grpc.RpcError) as err:
        call()
    error = from_rpc_error(err.value)
    assert error is not None, err.value
    return error.field_errors


def test_health_is_serving(ledger: LedgerUnderTest) -> None:
    channel = grpc.insecure_channel(f"127.0.0.1:{ledger.port}")
    stub = health_pb2_grpc.HealthStub(channel)
    for service in ("", "duban.ledger.v1.LedgerService"):
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)  # type: ignore[attr-defined]  # types-grpcio-health-checking's HealthStub declares no methods
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    channel.close()


def test_register_general_item_gets_number_and_7_working_days(ledger: LedgerUnderTest) -> None:
    item = ledger.register(
        title="推进老旧小区改造", content="完成3个小区改造方案", source="leader_instruction", category="general",
        key_tracking=True, lead_unit_id="zjj", lead_duty="牵头制定方案",
        co_units=[ledger_pb2.CoUnit(unit_id="fgj", duty="资金保障")],
        responsible_leader_id="ld-li", responsible_person_id="st-chen", supervisor_id="sv-wang",
        registered_on="2026-02-12",
    )
    assert item.item_no.startswith("2026-") and len(item.item_no) == 9
    assert item.due_date == "2026-02-28"  # across the Spring Festival with both make-up Saturdays
    assert not item.due_date_provisional
    assert [(u.unit_id, u.role, u.duty) for u in item.units] == [("zjj", "lead", "牵头制定方案"), ("fgj", "co", "资金保障")]
    assert item.responsible_leader.name == "李明" and item.responsible_leader.unit_name == "区委区政府督查室"
    assert item.supervisor.name == "王芳" and item.status == "awaiting_notice" and item.version == 1


def test_complex_item_gets_10_working_days(ledger: LedgerUnderTest) -> None:
    item = ledger.register(category="complex", registered_on="2026-09-18")
    assert item.due_date == "2026-10-09"


def test_registered_on_defaults_to_today_from_the_clock(ledger: LedgerUnderTest) -> None:
    item = ledger.register()
    assert item.registered_on == "2026-11-26" and item.due_date == "2026-12-07"


def test_due_date_in_a_year_without_table_is_flagged(ledger: LedgerUnderTest) -> None:
    with ledger.today_is(dt.date(2026, 12, 25)):
        item = ledger.register(category="complex", registered_on="2026-12-25")
    # 28-31 Dec, 元旦 1 Jan (statutory: known before 2027's table), 4-8 and 11 Jan.
    assert item.due_date == "2027-01-11" and item.due_date_provisional
    assert "暂定，待国务院公布2027年节假日安排后确认" in item.light_reason


def test_manual_due_date_needs_reason_and_is_recorded(ledger: LedgerUnderTest) -> None:
    errors = field_errors(lambda: ledger.register(due_date="2026-12-31"))
    assert "due_date_reason" in errors
    item = ledger.register(due_date="2026-12-31", due_date_reason="区长要求年底前完成")
    assert item.due_date == "2026-12-31" and item.due_date_reason == "区长要求年底前完成"
    history = ledger.stub.GetItemHistory(ledger_pb2.GetItemHistoryRequest(id=item.id), timeout=5).changes
    assert history[0].field == "registered" and history[0].reason == "区长要求年底前完成"


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"title": "  "}, "title"),
        ({"source": "rumour"}, "source"),
        ({"category": "urgent"}, "category"),
        ({"lead_unit_id": "nope"}, "lead_unit_id"),
        ({"co_units": [ledger_pb2.CoUnit(unit_id="nope")]}, "co_units[0].unit_id"),
        ({"registered_on": "2026-11-26", "due_date": "2026-11-01", "due_date_reason": "x"}, "due_date"),
        ({"registered_on": "26/11/2026"}, "registered_on"),
        ({"registered_on": "2026-11-27"}, "registered_on"),  # tomorrow: 立项 after its own 交办
        ({"due_date": "2026-11-28", "due_date_reason": "x"}, "due_date"),  # a Saturday
        ({"responsible_leader_id": "st-chen"}, "responsible_leader_id"),  # staff, not a leader
        ({"responsible_person_id": "ghost"}, "responsible_person_id"),
    ],
)
def test_bad_registration_names_the_field_and_writes_nothing(ledger: LedgerUnderTest, fields, bad_field) -> None:
    before = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(include_total=True), timeout=5).total_size
    errors = field_errors(lambda: ledger.register(**fields))
    assert bad_field in errors and errors[bad_field]
    after = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(include_total=True), timeout=5).total_size
    assert after == before


def test_retry_with_same_request_id_is_not_doubled(ledger: LedgerUnderTest) -> None:
    key = str(uuid.uuid4())
    first = ledger.stub.RegisterItem(ledger_pb2.RegisterItemRequest(
        title="重复提交", source="other", category="general", lead_unit_id="fgj", request_id=key), timeout=5)
    second = ledger.stub.RegisterItem(ledger_pb2.RegisterItemRequest(
        title="重复提交", source="other", category="general", lead_unit_id="fgj", request_id=key), timeout=5)
    assert second.replayed and not first.replayed and second.item.item_no == first.item.item_no


def test_get_by_id_and_number_and_not_found(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="按编号查询")
    by_no = ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=item.item_no), timeout=5).item
    assert by_no.id == item.id
    with pytest.raises(grpc.RpcError) as err:
        ledger.stub.GetItem(ledger_pb2.GetItemRequest(id="missing"), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def refused(call):
    with pytest.raises(grpc.RpcError) as err:
        call()
    error = from_rpc_error(err.value)
    assert error is not None and err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value
    return error


def test_a_registration_dated_after_today_is_refused(ledger: LedgerUnderTest) -> None:
    error = refused(lambda: ledger.register(registered_on="2026-12-01"))  # today is 2026-11-26
    assert error.field_errors == {"registered_on": "立项时间不能晚于今天（2026-11-26）"}
    assert ledger.register(registered_on="2026-11-26").registered_on == "2026-11-26"


@pytest.mark.parametrize(("due", "why", "suggested"), [
    ("2026-11-28", "星期六", "2026-11-30"),
    ("2026-10-07", "国庆节", "2026-10-08"),  # the last day of the National Day holiday
    ("2027-01-01", "元旦", "2027-01-04"),  # no 2027 table: 元旦 is statutory, known already
])
def test_a_manual_deadline_on_a_day_off_is_refused_with_the_next_working_day(
    ledger: LedgerUnderTest, due: str, why: str, suggested: str,
) -> None:
    fields = {"registered_on": "2026-09-01", "due_date": due, "due_date_reason": "领导要求"}
    error = refused(lambda: ledger.register(**fields))
    assert why in error.field_errors["due_date"] and f"下一个工作日是{suggested}" in error.field_errors["due_date"]
    assert error.suggestions == {"due_date": suggested}
    item = ledger.register(**(fields | {"due_date": suggested}))
    assert item.due_date == suggested
    # Changing a deadline by hand follows the same rule.
    error = refused(lambda: ledger.stub.UpdateItem(ledger_pb2.UpdateItemRequest(
        id=item.id, patch=ledger_pb2.ItemPatch(due_date="2026-12-05"), reason="延后", actor=OFFICE), timeout=5))
    assert error.suggestions == {"due_date": "2026-12-07"} and "星期六" in error.field_errors["due_date"]


def test_update_keeps_history_and_checks_version(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="原标题", category="general", registered_on="2026-11-02")
    assert item.due_date == "2026-11-11"
    updated = ledger.stub.UpdateItem(ledger_pb2.UpdateItemRequest(
        id=item.id, expected_version=1, actor=OFFICE,
        patch=ledger_pb2.ItemPatch(title="新标题", category="complex", supervision_status="已电话督办"),
    ), timeout=5).item
    assert updated.version == 2 and updated.title == "新标题"
    assert updated.due_date == "2026-11-16"  # recomputed: complex is 10 working days
    changes = ledger.stub.GetItemHistory(ledger_pb2.GetItemHistoryRequest(id=item.id), timeout=5).changes
    changed = {c.field: (c.old_value, c.new_value, c.actor.name) for c in changes[1:]}
    assert changed["title"] == ("原标题", "新标题", "督查室王芳")
    assert changed["due_date"] == ("2026-11-11", "2026-11-16", "督查室王芳")
    assert changed["supervision_status"][1] == "已电话督办"
    with pytest.raises(grpc.RpcError) as err:  # stale version
        ledger.stub.UpdateItem(ledger_pb2.UpdateItemRequest(
            id=item.id, expected_version=1, patch=ledger_pb2.ItemPatch(title="x"), actor=OFFICE), timeout=5)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    errors = field_errors(lambda: ledger.stub.UpdateItem(ledger_pb2.UpdateItemRequest(
        id=item.id, patch=ledger_pb2.ItemPatch(due_date="2026-12-01"), actor=OFFICE), timeout=5))
    assert "reason" in errors


def test_list_filters_and_keyset_pages(ledger: LedgerUnderTest) -> None:
    tag = uuid.uuid4().hex[:6]
    for day in range(1, 13):
        ledger.register(title=f"分页{tag}-{day:02d}", registered_on=f"2026-06-{day:02d}", lead_unit_id="jyj",
                        source="work_report", category="complex" if day % 2 else "general")
    query = ledger_pb2.ItemFilter(text=f"分页{tag}")
    seen, token = [], ""
    while True:
        page = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(filter=query, page_size=5, page_token=token,
                                                                 include_total=True), timeout=5)
        assert page.total_size == 12
        seen += [i.title for i in page.items]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"分页{tag}-{d:02d}" for d in range(12, 0, -1)]
    complex_only = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(filter=ledger_pb2.ItemFilter(
        text=f"分页{tag}", category="complex", unit_id="jyj", source="work_report",
        due_from="2026-06-01", due_to="2026-06-30"), page_size=50), timeout=5)
    assert all(i.category == "complex" for i in complex_only.items) and len(complex_only.items) >= 1
    none = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(filter=ledger_pb2.ItemFilter(
        text=f"分页{tag}", unit_id="fgj")), timeout=5)
    assert list(none.items) == []
    errors = field_errors(lambda: ledger.stub.ListItems(ledger_pb2.ListItemsRequest(page_token="%%bad"), timeout=5))
    assert "page_token" in errors


def test_co_unit_sees_item_through_unit_filter(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="协办可见", lead_unit_id="zjj", co_units=[ledger_pb2.CoUnit(unit_id="jyj")])
    page = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(filter=ledger_pb2.ItemFilter(
        unit_ids=["jyj"], text="协办可见")), timeout=5)
    assert [i.id for i in page.items] == [item.id]


def test_directory_lists_units_and_people(ledger: LedgerUnderTest) -> None:
    units = ledger.stub.ListUnits(ledger_pb2.ListUnitsRequest(), timeout=5).units
    assert {"fgj", "jyj", "zjj", "dcs"} <= {u.id for u in units}
    leaders = ledger.stub.ListPeople(ledger_pb2.ListPeopleRequest(role="leader"), timeout=5).people
    assert {p.id for p in leaders} == {"ld-li", "ld-zhao"}
    errors = field_errors(lambda: ledger.stub.UpsertPerson(ledger_pb2.UpsertPersonRequest(
        person=ledger_pb2.Person(id="x", name="", unit_id="nowhere", role="boss")), timeout=5))
    assert {"name", "unit_id", "role"} <= set(errors)


def test_people_carry_contacts_and_units_a_head(ledger: LedgerUnderTest) -> None:
    """What reminders need: how to reach a person, and who heads a unit (a person of that unit)."""
    person = ledger_pb2.Person(id="st-head", name="黄磊", unit_id="jyj", role="staff", title="局长", active=True,
                               mobile="13800000001", email="huanglei@example.cn", wecom_user_id="HuangLei",
                               dingtalk_user_id="dt.huang")
    assert ledger.stub.UpsertPerson(ledger_pb2.UpsertPersonRequest(person=person), timeout=5).person == person
    listed = ledger.stub.ListPeople(ledger_pb2.ListPeopleRequest(unit_id="jyj"), timeout=5).people
    assert next(p for p in listed if p.id == "st-head").email == "huanglei@example.cn"
    unit = ledger_pb2.Unit(id="jyj", name="区教育局", kind="department", active=True, head_person_id="st-head")
    assert ledger.stub.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=unit), timeout=5).unit.head_person_id == "st-head"
    assert next(u for u in ledger.stub.ListUnits(ledger_pb2.ListUnitsRequest(), timeout=5).units
                if u.id == "jyj").head_person_id == "st-head"
    errors = field_errors(lambda: ledger.stub.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(
        id="fgj", name="区发展和改革局", kind="department", active=True, head_person_id="st-head")), timeout=5))
    assert errors == {"head_person_id": "单位负责人应为本单位人员名录中的人员"}
    errors = field_errors(lambda: ledger.stub.UpsertPerson(ledger_pb2.UpsertPersonRequest(person=ledger_pb2.Person(
        id="st-head", name="黄磊", unit_id="jyj", role="staff", mobile="打电话", email="no-at-sign",
        wecom_user_id="有 空格")), timeout=5))
    assert set(errors) == {"mobile", "email", "wecom_user_id"}


def test_lights_are_computed_and_filterable(ledger: LedgerUnderTest) -> None:
    tag = uuid.uuid4().hex[:6]
    red = ledger.register(title=f"灯{tag}红", registered_on="2026-11-02")  # due 11-11, today 11-26
    yellow = ledger.register(title=f"灯{tag}黄", due_date="2026-11-27", due_date_reason="紧急")
    green = ledger.register(title=f"灯{tag}绿")  # due 12-07
    assert (red.light, yellow.light, green.light) == ("red", "yellow", "green")
    assert red.working_days_left == -11 and "逾期11个工作日" in red.light_reason
    assert yellow.working_days_left == 1
    for colour, expected in (("red", red), ("yellow", yellow), ("green", green)):
        page = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(
            filter=ledger_pb2.ItemFilter(text=f"灯{tag}", light=colour), include_total=True), timeout=5)
        assert [i.id for i in page.items] == [expected.id] and page.total_size == 1


def test_reflection_lists_the_services(ledger: LedgerUnderTest) -> None:
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    channel = grpc.insecure_channel(f"127.0.0.1:{ledger.port}")
    services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    channel.close()
    assert {"duban.ledger.v1.LedgerService", "grpc.health.v1.Health"} <= services


def test_calls_are_counted_in_metrics(ledger: LedgerUnderTest) -> None:
    from prometheus_client import REGISTRY

    labels = {"service": "ledger", "method": "GetItem", "code": "NOT_FOUND"}
    before = REGISTRY.get_sample_value("duban_grpc_server_handled_total", labels) or 0
    with pytest.raises(grpc.RpcError):
        ledger.stub.GetItem(ledger_pb2.GetItemRequest(id="nope"), timeout=5)
    assert REGISTRY.get_sample_value("duban_grpc_server_handled_total", labels) == before + 1


def test_the_ledger_checks_permissions_itself(ledger: LedgerUnderTest) -> None:
    """Deny by default in the service too, not only in the gateway: unit staff may not register or edit
    an item nor write the directory."""
    staff = common_pb2.Actor(user_id="u-fgj", name="陈静", role="unit_staff", unit_id="fgj")
    item = ledger.register()
    calls = (
        lambda: ledger.stub.RegisterItem(ledger_pb2.RegisterItemRequest(
            title="越权立项", source="other", category="general", lead_unit_id="fgj", actor=staff), timeout=5),
        lambda: ledger.stub.UpdateItem(ledger_pb2.UpdateItemRequest(
            id=item.id, expected_version=item.version, patch=ledger_pb2.ItemPatch(title="越权"), actor=staff), timeout=5),
        lambda: ledger.stub.UpsertUnit(ledger_pb2.UpsertUnitRequest(
            unit=ledger_pb2.Unit(id="fake", name="冒名单位", kind="department", active=True), actor=staff), timeout=5),
    )
    for call in calls:
        with pytest.raises(grpc.RpcError) as err:
            call()
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=item.id), timeout=5).item.title == item.title


def test_percent_and_underscore_are_searched_as_typed(ledger: LedgerUnderTest) -> None:
    """`q=%` and `q=_` matched every item: they are characters to find, not LIKE wildcards."""
    tag = uuid.uuid4().hex[:6]
    with_percent = ledger.register(title=f"完成率100%{tag}")
    with_underscore = ledger.register(title=f"编号A_1{tag}")
    ledger.register(title=f"普通事项{tag}")

    def found(text: str) -> set[str]:
        reply = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(filter=ledger_pb2.ItemFilter(text=text),
                                                                  page_size=500), timeout=5)
        return {i.id for i in reply.items}

    assert with_percent.id in found("%") and with_underscore.id not in found("%")
    assert with_underscore.id in found("_") and with_percent.id not in found("_")
    assert found(f"率%{tag}") == set() and found(f"100%{tag}") == {with_percent.id}  # % is no wildcard
