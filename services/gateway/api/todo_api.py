"""GET /api/v1/todo: the caller's own to-do (我的待办 / 待我签批), as the portal shows it, with where and how
each act is done - for the tablet app and any other client."""

from __future__ import annotations

from typing import Any

from flask import g, request

from libs.common import todo
from libs.common.errors import InvalidInput
from services.gateway import todos
from services.gateway.api import bp
from services.gateway.auth import require
from services.gateway.present import Reader, to_json


@bp.get("/todo")
@require("todo.read")
def my_todo() -> dict[str, Any]:
    reader = Reader(request.args)
    kind = reader.text("kind", 40)
    reader.done()
    if kind and kind not in todo.BY_NAME:
        raise InvalidInput(f"unknown kind {kind!r}", {"kind": f"应为 {'、'.join(todo.BY_NAME)} 之一"})
    mine = todos.kinds_for(g.user)  # a kind that is not this user's has nothing for them
    found = todos.todo_list(g.user, (kind,) if kind else ())
    counts = found.counts()
    return {
        "today": found.today,
        "total": len(found.entries),
        "counts": {k.name: counts.get(k.name, 0) for k in mine if not kind or k.name == kind},
        "entries": [to_json(e) | {"kind_label": todo.BY_NAME[e.kind].label, "page": todos.page_of(e),
                                  "act": todos.api_of(e)} for e in found.entries],
    }
