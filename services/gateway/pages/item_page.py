"""The item page (督查事项): the ledger's facts and history, and the 督办跟踪 panel with the forms the user
may use. Both the ledger's and tracking's page modules lead here; it imports neither."""

from __future__ import annotations

from flask import current_app, g, render_template, request

from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import tracking_pb2
from libs.common import vocabulary
from libs.common.errors import NotFound
from services.gateway.auth import require
from services.gateway.calls import ledger, tracking, visible_item
from services.gateway.clients import ServiceUnavailable
from services.gateway.pages import bp

# What the page says after a tracking form succeeded (?done=<action>).
DONE = {"notice": "督办通知已发出", "acknowledge": "已签收", "report": "进展情况已报送", "extension": "转期申请已提交",
        "decision": "已签署转期意见", "reply": "办理结果已回复", "completion": "办结报告单已填写，待领导签字",
        "signature": "已签署办结报告单（如有新的批示，续办事项随后出现在督查台账）", "urge": "已记录催办"}


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
                           errors=errors or {}, failed_action=failed_action, form=request.form, tracking_down=tracking_down,
                           done=DONE.get(request.args.get("done", ""), ""),
                           today=current_app.extensions["clock"].today().isoformat())
