"""Department scoping, the one place that decides which items a user may see.

Office staff, administrators, inspectors and the assessment office see every item; a unit's staff see
items where their unit is the lead or a co unit; a leader sees items they are the responsible leader
of. An item outside a user's scope is answered exactly like a missing one (404), so its existence
does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass

from duban.ledger.v1 import ledger_pb2
from services.gateway import roles

NOBODY = "__out_of_scope__"  # an id no unit or person has: an empty result without a special case


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: str
    unit_id: str
    person_id: str

    @property
    def sees_everything(self) -> bool:
        return self.role in (roles.OFFICE, roles.ADMIN, roles.INSPECTOR, roles.ASSESSMENT)


def scoped_filter(user: Principal, requested: ledger_pb2.ItemFilter) -> ledger_pb2.ItemFilter:
    """The user's filter narrowed to their scope; asking for another unit gives an empty list."""
    result = ledger_pb2.ItemFilter()
    result.CopyFrom(requested)
    if user.sees_everything:
        return result
    if user.role == roles.UNIT_STAFF:
        wanted = {requested.unit_id} if requested.unit_id else set()
        wanted |= set(requested.unit_ids)
        result.unit_id = ""
        del result.unit_ids[:]
        allowed = not wanted or wanted == {user.unit_id}
        result.unit_ids.append(user.unit_id if allowed and user.unit_id else NOBODY)
        return result
    if user.role == roles.LEADER:
        if requested.responsible_leader_id and requested.responsible_leader_id != user.person_id:
            result.responsible_leader_id = NOBODY
        else:
            result.responsible_leader_id = user.person_id or NOBODY
        return result
    result.unit_ids.append(NOBODY)
    return result


def can_see(user: Principal, item: ledger_pb2.Item) -> bool:
    if user.sees_everything:
        return True
    if user.role == roles.UNIT_STAFF:
        return bool(user.unit_id) and any(u.unit_id == user.unit_id for u in item.units)
    if user.role == roles.LEADER:
        return bool(user.person_id) and item.responsible_leader.id == user.person_id
    return False
