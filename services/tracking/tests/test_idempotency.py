"""Idempotency keys on every tracking write, against the real servers and databases: a retried notice,
report, extension, decision, reply, completion report, signature or urge answers as the first time and
records and publishes nothing more; another body is refused; another caller's key is its own; a duplicate
in flight is a conflict; keys past the retention act as new and are pruned."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest

from duban.common.v1 import common_pb2
from duban.tracking.v1 import tracking_pb2
from libs.common.clock import OFFICE_TZ
from libs.common.testing import IdempotencyProbe, KeyedWrite, changed, with_actor
from services.tracking.grpc_api import SERVICE_NAME, WRITE_METHODS
from services.tracking.tests.conftest import FGJ, JYJ, LEADER_LI, LEADER_ZHAO, OFFICE, Pair

OFFICE_2 = common_pb2.Actor(user_id="6", name="李娜", role="office", unit_id="dcs")


def probe(pair: Pair) -> IdempotencyProbe:
    return IdempotencyProbe(SERVICE_NAME, pair.tracking, pair.app.parts.engine, pair.app.parts.idempotency)


def item_at(pair: Pair, stage: str) -> str:
    """A fresh item brought (without keys) to the stage a write needs."""
    pair.clock.set(dt.datetime(2026, 11, 26, 10, tzinfo=OFFICE_TZ))
    item_id = pair.register().id
    pair.assignment(item_id)
    if stage == "registered":
        return item_id
    pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item_id, contact_name="王芳", actor=OFFICE),
                              timeout=10)
    if stage == "extension":
        pair.tracking.RequestExtension(tracking_pb2.RequestExtensionRequest(
            item_id=item_id, reason="等待批复", new_due_date="2026-12-14", actor=FGJ), timeout=10)
    if stage in ("replied", "completion"):
        pair.tracking.FileReply(tracking_pb2.FileReplyRequest(item_id=item_id, result="已完成", actor=FGJ), timeout=10)
    if stage == "completion":
        pair.tracking.FillCompletionReport(tracking_pb2.FillCompletionReportRequest(
            item_id=item_id, report_kind="special", actor=OFFICE, confirm_unsigned=True), timeout=10)
    return item_id


def issue_notice(pair: Pair) -> KeyedWrite:
    req = tracking_pb2.IssueNoticeRequest(item_id=item_at(pair, "registered"), requirements=["每周五前报送进展"],
                                          contact_name="王芳", actor=OFFICE)
    # item.status_changed, item.assigned and item.raisers_changed (the expected reports that may raise the light)
    return KeyedWrite("IssueNotice", req, changed(req, contact_name="李娜"), with_actor(req, OFFICE_2), False, 3)


def acknowledge(pair: Pair) -> KeyedWrite:
    req = tracking_pb2.AcknowledgeRequest(item_id=item_at(pair, "notified"), actor=JYJ)
    # The lead unit's staff sign for their own unit with the same key: their own act.
    return KeyedWrite("Acknowledge", req, changed(req, unit_id="jyj"), with_actor(req, FGJ), True, 1)


def file_report(pair: Pair) -> KeyedWrite:
    req = tracking_pb2.FileReportRequest(item_id=item_at(pair, "notified"), text="已完成方案初稿", actor=FGJ,
                                         attachments=[tracking_pb2.Attachment(filename="方案.txt", data=b"v1")])
    # Filing also signs for the notice: progress.reported, item.acknowledged and item.raisers_changed.
    return KeyedWrite("FileReport", req, changed(req, text="另一份进展"), with_actor(req, JYJ), True, 3)


def request_extension(pair: Pair) -> KeyedWrite:
    req = tracking_pb2.RequestExtensionRequest(item_id=item_at(pair, "notified"), reason="需等待上级批复",
                                               new_due_date="2026-12-14", progress="方案已报审", actor=FGJ)
    return KeyedWrite("RequestExtension", req, changed(req, new_due_date="2026-12-21"), with_actor(req, JYJ), False, 1)


def decide_extension(pair: Pair) -> KeyedWrite:
    item_id = item_at(pair, "extension")
    extension = pair.assignment(item_id).extensions[0].id
    req = tracking_pb2.DecideExtensionRequest(item_id=item_id, extension_id=extension, approve=True, comment="同意",
                                              actor=LEADER_LI)
    # extension.approved and item.raisers_changed (the schedule grew)
    return KeyedWrite("DecideExtension", req, changed(req, approve=False), with_actor(req, LEADER_ZHAO), False, 2)


def file_reply(pair: Pair) -> KeyedWrite:
    req = tracking_pb2.FileReplyRequest(item_id=item_at(pair, "notified"), result="改造方案已批复并开工", actor=FGJ)
    # item.status_changed and item.replied
    return KeyedWrite("FileReply", req, changed(req, result="另一结果"), with_actor(req, JYJ), False, 2)


def fill_completion_report(pair: Pair) -> KeyedWrite:
    req = tracking_pb2.FillCompletionReportRequest(item_id=item_at(pair, "replied"), report_kind="special",
                                                   result_summary="按期完成", actor=OFFICE, confirm_unsigned=True)
    # item.status_changed (replied -> completion_filled): the only event of this act
    return KeyedWrite("FillCompletionReport", req, changed(req, report_kind="comprehensive"), with_actor(req, OFFICE_2),
                      False, 1)


def sign_completion_report(pair: Pair) -> KeyedWrite:
    req = tracking_pb2.SignCompletionReportRequest(item_id=item_at(pair, "completion"), approve=True,
                                                   opinion="同意销号", actor=LEADER_LI)
    # item.status_changed (closed), item.raisers_changed (none open), item.closed, item.status_changed
    # (archived), item.archived
    return KeyedWrite("SignCompletionReport", req, changed(req, opinion="同意"), with_actor(req, LEADER_ZHAO), False, 5)


def urge_unit(pair: Pair) -> KeyedWrite:
    req = tracking_pb2.UrgeUnitRequest(item_id=item_at(pair, "notified"), unit_id="fgj", method="phone",
                                       text="请今日内签收督办通知", actor=OFFICE)
    # Another office worker's urge with the same key is another urge, recorded as such.
    return KeyedWrite("UrgeUnit", req, changed(req, method="written"), with_actor(req, OFFICE_2), True, 1)


WRITES: dict[str, Callable[[Pair], KeyedWrite]] = {w.__name__: w for w in (
    issue_notice, acknowledge, file_report, request_extension, decide_extension, file_reply, fill_completion_report,
    sign_completion_report, urge_unit)}


def test_every_write_method_is_covered() -> None:
    assert {m.rsplit("/", 1)[-1] for m in WRITE_METHODS} == {
        "IssueNotice", "Acknowledge", "FileReport", "RequestExtension", "DecideExtension", "FileReply",
        "FillCompletionReport", "SignCompletionReport", "UrgeUnit"}


@pytest.mark.parametrize("write", list(WRITES))
def test_keyed_write(pair: Pair, write: str) -> None:
    probe(pair).check(WRITES[write](pair))


def test_a_retried_urge_is_recorded_once_and_another_callers_urge_is_its_own(pair: Pair) -> None:
    write, p, key = urge_unit(pair), probe(pair), str(uuid.uuid4())
    p.call("UrgeUnit", write.request, key)
    p.call("UrgeUnit", write.request, key)
    mine, _ = p.call("UrgeUnit", write.other_caller, key)
    assert [u.by.name for u in mine.assignment.office_urges] == ["王芳", "李娜"]


def test_without_a_key_every_call_acts(pair: Pair) -> None:
    req = urge_unit(pair).request
    pair.tracking.UrgeUnit(req, timeout=10)
    assert len(pair.tracking.UrgeUnit(req, timeout=10).assignment.office_urges) == 2


def test_keys_past_the_retention_act_as_new_and_are_pruned(pair: Pair) -> None:
    write, p, key = urge_unit(pair), probe(pair), str(uuid.uuid4())
    store = pair.app.parts.idempotency
    p.call("UrgeUnit", write.request, key)
    real_now = store.now
    try:
        store.now = lambda: real_now() + dt.timedelta(hours=24, seconds=1)
        assert store.prune() >= 1
        again, replayed = p.call("UrgeUnit", write.request, key)
        assert not replayed and len(again.assignment.office_urges) == 2
    finally:
        store.now = real_now
