"""Each person's to-do (我的待办, 待我签批), asked of every service that answers a kind of libs/common/todo.py
and merged: the pages, the navigation's counts and GET /api/v1/todo all read this one list, once per
request, so a count is always the length of the list it opens."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from flask import current_app, g

from duban.common.v1 import todo_pb2
from libs.common import permissions, todo
from services.gateway.calls import service
from services.gateway.scope import Principal, scoped_todo_request

FAR = "9999-12-31"


@dataclass
class TodoList:
    entries: list[todo_pb2.TodoEntry] = field(default_factory=list)
    today: str = ""

    def of(self, audience: str) -> list[todo_pb2.TodoEntry]:
        return [e for e in self.entries if todo.BY_NAME[e.kind].audience == audience]

    def grouped(self, audience: str) -> list[tuple[todo.TodoKind, list[todo_pb2.TodoEntry]]]:
        """The audience's kinds in the table's order, each with its entries (empty kinds too)."""
        return [(k, [e for e in self.entries if e.kind == k.name]) for k in todo.KINDS if k.audience == audience]

    def counts(self) -> dict[str, int]:
        return {k: sum(1 for e in self.entries if e.kind == k) for k in dict.fromkeys(e.kind for e in self.entries)}


def _order(entry: todo_pb2.TodoEntry) -> tuple[object, ...]:
    """As each service orders its own: the late first, then by day, then the longest waiting."""
    since = entry.since.seconds if entry.HasField("since") else 2**62
    return (not entry.late, entry.due_on or FAR, since, entry.item_no, entry.kind)


def kinds_for(user: Principal) -> list[todo.TodoKind]:
    """The kinds this user's roles have (permissions.TODO_AUDIENCES); none for a role with no entry."""
    if not permissions.allowed(user.roles, "todo.read"):
        return []
    audiences = permissions.todo_audiences(user.roles)
    return [k for k in todo.KINDS if k.audience in audiences]


def todo_list(user: Principal, kinds: tuple[str, ...] = ()) -> TodoList:
    """The user's to-do (only `kinds` if given), from every service that answers one of them."""
    cached = g.get("todo_list") if not kinds else None
    if cached is not None:
        return cached
    result = TodoList(today=current_app.extensions["clock"].today().isoformat())
    mine = [k for k in kinds_for(user) if not kinds or k.name in kinds]
    for name in dict.fromkeys(k.service for k in mine):
        reply = service(name).call("ListTodo", scoped_todo_request(
            user, [k.name for k in mine if k.service == name]))
        result.entries.extend(e for e in reply.entries if e.kind in todo.BY_NAME)
        result.today = reply.today or result.today
    result.entries.sort(key=_order)
    if not kinds:
        g.todo_list = result
    return result


def page_of(entry: todo_pb2.TodoEntry) -> str:
    """Where the entry's act is done in the portal."""
    return todo.BY_NAME[entry.kind].page.format(item_id=quote(entry.item_id, safe=""),
                                                 ref_id=quote(entry.ref_id, safe=""))


def api_of(entry: todo_pb2.TodoEntry) -> dict[str, str] | None:
    """The same act through the API, or None when the entry is only to be seen."""
    act = todo.BY_NAME[entry.kind].api
    if not act:
        return None
    method, path = act.split(" ", 1)
    return {"method": method, "path": path.format(item_id=quote(entry.item_id, safe=""),
                                                  ref_id=quote(entry.ref_id, safe=""))}


def waited_text(entry: todo_pb2.TodoEntry) -> str:
    if not entry.HasField("since"):
        return ""
    return "今天" if entry.waited_working_days == 0 else f"已等待 {entry.waited_working_days} 个工作日"
