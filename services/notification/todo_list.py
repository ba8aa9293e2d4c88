"""待我签批 from notification: the bulletins submitted to the principal leader (kind bulletin_to_approve).

The kind's row in libs/common/todo.py (which makes the gateway ask this service) is added with the
gateway's bulletin pages; until then this answers it when asked by name."""

from __future__ import annotations

from sqlalchemy import select

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.errors import InvalidInput, PermissionDenied
from libs.common.todo_entries import Todo, todo_order, working_days_waited
from services.notification import domain
from services.notification.context import Notification
from services.notification.orm import Bulletin

KINDS = ("bulletin_to_approve",)


def todo_list(n: Notification, caller: Actor | None, unit_ids: list[str], leader_id: str, kinds: list[str]) -> list[Todo]:
    permissions.require(caller.roles if caller else (), "todo.read")
    if caller is not None and permissions.SYSTEM not in caller.roles and leader_id not in ("", caller.person_id):
        raise PermissionDenied(f"{caller.name} may read their own to-do only", {"leader_id": "只能查看本人的待办"})
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InvalidInput(f"unknown to-do kinds {unknown}", {"kinds": f"未知的待办类型：{'、'.join(unknown)}"})
    principal = caller is None or bool({permissions.PRINCIPAL_LEADER, permissions.SYSTEM} & set(caller.roles))
    if not leader_id or not principal:
        return []
    today = n.today()
    entries = []
    with n.uow.read() as tx:
        for b in tx.session.scalars(select(Bulletin).where(Bulletin.status == domain.SUBMITTED)):
            submitted = next((a for a in reversed(b.acts) if a.act == "submitted"), None)
            since = submitted.at if submitted else b.updated_at
            entries.append(Todo(
                kind="bulletin_to_approve", item_id="", item_no=b.document_no, title=b.title,
                unit_id=b.scope_unit_id, unit_name="", since=since,
                waited_working_days=working_days_waited(n.calendar, since.date(), today),
                asked_by=submitted.by if submitted else "", ref_id=b.id,
                summary=f"{domain.issue_label(b.issue_year, b.issue_no)}，请审阅报批的通报文件后批准或退回",
                details=(("文号", b.document_no), ("期数", domain.issue_label(b.issue_year, b.issue_no)))))
    return sorted(entries, key=todo_order)
