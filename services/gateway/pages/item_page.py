"""The item page (督查事项): the ledger's facts and history, and the 督办跟踪 panel with the forms the user
may use. Both the ledger's and tracking's page modules lead here; it imports neither.

Read-your-writes: what tracking owns (status, light, 交办时间, 完成时限, 转期, 办理结果, 销号签字) is shown
from tracking's own answer, read after the action committed there; the ledger's copy of those columns
arrives by event a moment later (seconds on a busy broker), and showing it would make the page look as if
the action had not happened. The ledger's copy is shown only while tracking cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask import current_app, g, render_template, request
from google.protobuf.timestamp_pb2 import Timestamp

from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import tracking_pb2
from libs.common import vocabulary
from libs.common.clock import OFFICE_TZ
from libs.common.errors import NotFound
from services.gateway.auth import require
from services.gateway.calls import ledger, tracking, visible_item
from services.gateway.clients import ServiceUnavailable
from services.gateway.names import unit_name
from services.gateway.pages import bp

# What the page says after a tracking form succeeded (?done=<action>).
DONE = {"notice": "督办通知已发出", "acknowledge": "已签收", "report": "进展情况已报送", "extension": "转期申请已提交",
        "decision": "已签署转期意见", "reply": "办理结果已回复", "completion": "办结报告单已填写，待领导签字",
        "signature": "已签署办结报告单（如有新的批示，续办事项随后出现在督查台账）", "urge": "已记录催办",
        "assessment_year": "考核年度已修改"}
# History rows the ledger wrote before its reasons left out the event id ("…，事件 b5062dc1）").
_OLD_EVENT_ID = re.compile(r"，事件 [0-9a-f]{8}）")


@dataclass(frozen=True)
class Facts:
    """The columns tracking owns, as the page shows them: tracking's answer when there is one."""

    status: str
    light: str
    light_reason: str
    assigned_on: str
    due_date: str
    due_date_provisional: bool
    result: str
    extension_reason: str
    extension_signature: str
    closure_signature: str


def _local(ts: Timestamp) -> dt.datetime:
    return ts.ToDatetime(tzinfo=dt.UTC).astimezone(OFFICE_TZ)


def facts(item: ledger_pb2.Item, a: tracking_pb2.Assignment | None) -> Facts:
    if a is None:
        return Facts(item.status, item.light, item.light_reason, item.assigned_on, item.due_date,
                     item.due_date_provisional, item.result,
                     item.extension_reason, item.extension_signature, item.closure_signature)
    approved = [x for x in a.extensions if x.status == "approved"]
    last = approved[-1] if approved else None
    signed = a.completion.approved and a.completion.HasField("signed_at")
    return Facts(
        status=a.status, light=a.light, light_reason=a.light_reason,
        assigned_on=_local(a.notice_issued_at).date().isoformat() if a.notice_no else item.assigned_on,
        due_date=a.due_date, due_date_provisional=a.due_date_provisional, result=a.reply.result or item.result,
        extension_reason=last.reason if last else item.extension_reason,
        extension_signature=vocabulary.signature(last.decided_by.name, _local(last.decided_at)) if last
        else item.extension_signature,
        closure_signature=vocabulary.signature(a.completion.signed_by.name, _local(a.completion.signed_at)) if signed
        else item.closure_signature,
    )


def history_value(field: str, value: str) -> str:
    """A history row's value as people read it: labels for the vocabulary's words, names for unit ids."""
    if field == "status":
        return vocabulary.STATUSES.get(vocabulary.FORMER_STATUSES.get(value, value), value)
    if field == "source":
        return vocabulary.SOURCES.get(value, value)
    if field == "category":
        return vocabulary.CATEGORIES.get(value, value)
    if field == "lead_unit_id":
        return unit_name(value)
    return value


def history_reason(reason: str) -> str:
    return _OLD_EVENT_ID.sub("）", reason)


@bp.get("/items/<item_id>")
@require("items.read")
def item_detail(item_id: str) -> str:
    return render_item(item_id)


def render_item(item_id: str, errors: dict[str, str] | None = None, failed_action: str = "") -> str:
    """The item page: ledger facts and history, and the 督办跟踪 panel with the forms the user may use."""
    item = visible_item(g.user, item_id)
    changes = ledger().call("GetItemHistory", ledger_pb2.GetItemHistoryRequest(id=item.id)).changes
    tracking_down = False
    try:
        assignment = tracking().call("GetAssignment", tracking_pb2.GetAssignmentRequest(item_id=item.id)).assignment
    except NotFound:
        assignment = None  # tracking hears of a new item within moments; the page says so
    except ServiceUnavailable:
        assignment, tracking_down = None, True  # the ledger part of the page still serves
    return render_template("ledger/item.html", item=item, changes=changes, vocabulary=vocabulary, a=assignment,
                           facts=facts(item, assignment), history_value=history_value, history_reason=history_reason,
                           errors=errors or {}, failed_action=failed_action, form=request.form, tracking_down=tracking_down,
                           done=DONE.get(request.args.get("done", ""), ""),
                           today=current_app.extensions["clock"].today().isoformat())
