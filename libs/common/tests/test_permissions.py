"""One roles-and-permissions table, deny by default, for the gateway and the services alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import tracking_pb2
from libs.common import permissions
from libs.common.errors import PermissionDenied
from services.gateway.scope import (
    NOBODY,
    Principal,
    can_see,
    scoped_filter,
    scoped_todo_request,
    scoped_tracking_request,
)

ROOT = Path(__file__).resolve().parents[3]


def test_a_role_nobody_listed_may_do_nothing_and_sees_nothing() -> None:
    assert not any(permissions.allowed("janitor", p) for p in permissions.PERMISSIONS)
    assert not permissions.allowed(permissions.ADMIN, "no.such.permission")
    assert permissions.scopes("janitor") == frozenset()
    with pytest.raises(PermissionDenied):
        permissions.require("janitor", "items.read")
    nobody = Principal(1, "x", "x", "janitor", "fgj", "p1")
    assert scoped_filter(nobody, ledger_pb2.ItemFilter()).unit_ids == [NOBODY]
    assert list(scoped_tracking_request(nobody, tracking_pb2.ListLightsRequest()).unit_ids) == [NOBODY]
    item = ledger_pb2.Item(units=[ledger_pb2.ItemUnit(unit_id="fgj")])
    assert not can_see(nobody, item)
    # No to-do either: the request asks for no unit and no leader, and tracking answers nothing to it.
    assert permissions.todo_audiences("janitor") == frozenset()
    asked = scoped_todo_request(nobody, [])
    assert (list(asked.unit_ids), asked.leader_id) == ([], "")


def test_every_permission_the_code_asks_for_is_in_the_table() -> None:
    """A misspelt permission would deny everybody silently: each one named in code exists."""
    asked = set()
    for path in [*ROOT.glob("services/**/*.py"), *ROOT.glob("services/gateway/templates/**/*.html")]:
        text = path.read_text(encoding="utf-8")
        asked |= set(re.findall(r"""(?:require|allowed)\([^)'"]*['"]([a-z_]+\.[a-z_]+)['"]""", text))
    assert asked, "found no permission checks"
    assert asked <= set(permissions.PERMISSIONS), asked - set(permissions.PERMISSIONS)


def test_a_person_with_two_roles_may_do_what_either_allows() -> None:
    """The 区长: principal leader (sees every item) and the responsible leader who signs."""
    roles = (permissions.PRINCIPAL_LEADER, permissions.LEADER)
    assert permissions.allowed(roles, "tracking.sign")
    assert not permissions.allowed(roles, "items.register")
    mayor = Principal(1, "qz", "区长", permissions.PRINCIPAL_LEADER, "", "ld-zhao", (permissions.LEADER,))
    assert mayor.sees_everything
    assert scoped_filter(mayor, ledger_pb2.ItemFilter()).responsible_leader_id == ""


def test_what_comes_next_is_expressed() -> None:
    assert permissions.scopes(permissions.DEPT_SUPERVISOR) == {permissions.UNIT}  # Art. 3: its own work
    assert permissions.OFFICE_HEAD in permissions.OFFICE_ROLES
    assert permissions.ROLE_LABELS[permissions.PRINCIPAL_LEADER] == "主要领导"
