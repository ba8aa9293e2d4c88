"""Department scoping, the one place that decides which items a user may see.

Which role sees what is permissions.SCOPES (libs/common): office staff, administrators, inspectors, the
assessment office and the principal leader see every item; a unit's staff (and its department
supervisor) see items where their unit is the lead or a co unit; a leader sees items they are the
responsible leader of; a role with no scope sees nothing. An item outside a user's scope is answered exactly like a missing one (404), so its existence
does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from duban.common.v1 import todo_pb2
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import tracking_pb2
from libs.common import permissions, todo

NOBODY = "__out_of_scope__"  # an id no unit or person has: an empty result without a special case


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: str
    unit_id: str
    person_id: str
    extra_roles: tuple[str, ...] = ()

    @property
    def roles(self) -> tuple[str, ...]:
        return (self.role, *self.extra_roles)

    @property
    def scope(self) -> str:
        """The widest of the roles' scopes (permissions.SCOPES); "" sees nothing. A unit scope and a
        leader scope together (no such account today) cannot be one filter: the unit's is used."""
        found = permissions.scopes(self.roles)
        return next((s for s in (permissions.ALL, permissions.UNIT, permissions.OWN_LEADER) if s in found), "")

    @property
    def sees_everything(self) -> bool:
        return self.scope == permissions.ALL


def scoped_filter(user: Principal, requested: ledger_pb2.ItemFilter) -> ledger_pb2.ItemFilter:
    """The user's filter narrowed to their scope; asking for another unit gives an empty list."""
    result = ledger_pb2.ItemFilter()
    result.CopyFrom(requested)
    if user.scope == permissions.ALL:
        return result
    if user.scope == permissions.UNIT:
        wanted = {requested.unit_id} if requested.unit_id else set()
        wanted |= set(requested.unit_ids)
        result.unit_id = ""
        del result.unit_ids[:]
        allowed = not wanted or wanted == {user.unit_id}
        result.unit_ids.append(user.unit_id if allowed and user.unit_id else NOBODY)
        return result
    if user.scope == permissions.OWN_LEADER:
        if requested.responsible_leader_id and requested.responsible_leader_id != user.person_id:
            result.responsible_leader_id = NOBODY
        else:
            result.responsible_leader_id = user.person_id or NOBODY
        return result
    result.unit_ids.append(NOBODY)
    return result


ScopedRequest = TypeVar("ScopedRequest", tracking_pb2.ListAssignmentsRequest, tracking_pb2.ListLightsRequest,
                        tracking_pb2.LightBoardRequest)


def scoped_tracking_request(user: Principal, req: ScopedRequest) -> ScopedRequest:
    """A tracking list request (unit_ids, responsible_leader_id) narrowed to the user's scope, by the
    same rules as scoped_filter."""
    if user.scope == permissions.ALL:
        return req
    if user.scope == permissions.OWN_LEADER:
        req.responsible_leader_id = user.person_id or NOBODY
    else:
        req.unit_ids.append(user.unit_id if user.scope == permissions.UNIT and user.unit_id else NOBODY)
    return req


def scoped_todo_request(user: Principal, kinds: list[str]) -> todo_pb2.ListTodoRequest:
    """The user's own to-do (permissions.TODO_AUDIENCES): their unit's work if their scope is their unit,
    the signatures waiting for their person if they sign; a role with no audience asks for nothing."""
    audiences = permissions.todo_audiences(user.roles)
    request = todo_pb2.ListTodoRequest(kinds=kinds)
    if todo.UNIT in audiences and user.scope == permissions.UNIT and user.unit_id:
        request.unit_ids.append(user.unit_id)
    if todo.LEADER in audiences and user.person_id:
        request.leader_id = user.person_id
    return request


def can_see(user: Principal, item: ledger_pb2.Item) -> bool:
    if user.scope == permissions.ALL:
        return True
    if user.scope == permissions.UNIT:
        return bool(user.unit_id) and any(u.unit_id == user.unit_id for u in item.units)
    if user.scope == permissions.OWN_LEADER:
        return bool(user.person_id) and item.responsible_leader.id == user.person_id
    return False
