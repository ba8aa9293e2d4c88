"""The kinds of to-do (我的待办, 待我签批): one row each, naming the service that answers it and where the
act is done. The gateway asks every service named here (`ListTodo`, duban.common.v1 messages) and shows
the kinds in this order; a service with new work for people (inspection: its feedback and rectification
orders) adds its rows and serves ListTodo - the pages, the API and the counts follow from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

UNIT, LEADER = "unit", "leader"  # whose work: a unit's staff (by their unit), a leader (by their person)


@dataclass(frozen=True)
class TodoKind:
    name: str  # the identifier in TodoEntry.kind and the API
    label: str  # the group's heading on the page
    service: str  # the service answering it (libs/common/service_table.py)
    audience: str  # UNIT or LEADER
    act: str  # the link's words: what the person does there
    page: str  # where it is done in the portal; {item_id} and {ref_id} are filled in
    api: str  # the same act through the API ("METHOD path"); "" when it is only to be seen


KINDS: tuple[TodoKind, ...] = (
    TodoKind("notice_to_sign", "待签收的督办通知", "tracking", UNIT, "签收", "/items/{item_id}#tracking",
             "POST /api/v1/items/{item_id}/acknowledgements"),
    TodoKind("report_late", "逾期未报的进展", "tracking", UNIT, "补报进展", "/items/{item_id}#tracking",
             "POST /api/v1/items/{item_id}/reports"),
    TodoKind("report_due", "应报的进展", "tracking", UNIT, "报送进展", "/items/{item_id}#tracking",
             "POST /api/v1/items/{item_id}/reports"),
    TodoKind("reply_due", "待书面回复办理结果", "tracking", UNIT, "回复办理结果", "/items/{item_id}#tracking",
             "POST /api/v1/items/{item_id}/reply"),
    TodoKind("extension_pending", "待领导审批的转期申请", "tracking", UNIT, "查看", "/items/{item_id}#tracking", ""),
    TodoKind("extension_to_sign", "转期申请", "tracking", LEADER, "签批", "/queue#todo-{ref_id}",
             "POST /api/v1/items/{item_id}/extensions/{ref_id}/decision"),
    TodoKind("closure_to_sign", "办结报告单", "tracking", LEADER, "签字销号", "/queue#todo-{ref_id}",
             "POST /api/v1/items/{item_id}/completion-report/signature"),
    # Inspection: ref_id is the finding, the escalation, the plan.
    TodoKind("rectification_due", "限期整改的问题", "inspection", UNIT, "报送整改情况", "/inspection/findings/{ref_id}",
             "POST /api/v1/inspection/findings/{ref_id}/rectification/report"),
    TodoKind("feedback_to_answer", "督查反馈意见", "inspection", UNIT, "签收并书面答复", "/inspection/reports/{ref_id}/feedback",
             "POST /api/v1/inspection/reports/{ref_id}/feedback/answer"),
    TodoKind("escalation_to_read", "重大问题报告", "inspection", LEADER, "阅知", "/inspection/escalations/{ref_id}",
             "POST /api/v1/inspection/escalations/{ref_id}/acknowledgement"),
    # Notification: ref_id is the bulletin (通报 or 清零 report) submitted to the principal leader (主要领导).
    TodoKind("bulletin_to_approve", "待审批的督查通报", "notification", LEADER, "审阅并审批", "/bulletins/{ref_id}/approval",
             "POST /api/v1/bulletins/{ref_id}/approval"),
    TodoKind("plan_to_approve", "待批准的督查方案", "inspection", LEADER, "审批", "/inspection/plans/{ref_id}",
             "POST /api/v1/inspection/plans/{ref_id}/approval"),
)
BY_NAME: dict[str, TodoKind] = {k.name: k for k in KINDS}


def kinds_of(service: str) -> tuple[TodoKind, ...]:
    return tuple(k for k in KINDS if k.service == service)


def services(audiences: frozenset[str] | set[str]) -> tuple[str, ...]:
    """The services to ask for these audiences, in the table's order."""
    return tuple(dict.fromkeys(k.service for k in KINDS if k.audience in audiences))
