"""The gateway's view of libs/common/permissions.py (the one roles-and-permissions table that the
services check too): the role names and labels its pages show, and `allowed` for templates.

Department scoping (who sees which item) is in scope.py; this says which actions a role may take at all.
"""

from __future__ import annotations

from libs.common.permissions import (  # noqa: F401 - re-exported for the pages and API
    ADMIN,
    ASSESSMENT,
    DEPT_SUPERVISOR,
    EVERYONE,
    INSPECTOR,
    LEADER,
    OFFICE,
    OFFICE_HEAD,
    OFFICE_ROLES,
    PERMISSIONS,
    PRINCIPAL_LEADER,
    UNIT_STAFF,
    allowed,
)
from libs.common.permissions import ROLE_LABELS as ROLES  # noqa: F401

# Where each role lands after login: its own work (我的待办 for a unit, 待我签批 for a leader, the desk for
# the office). The first of a person's roles with an entry decides; a role with none lands on the ledger.
HOME: dict[str, str] = {
    OFFICE: "pages.office_desk", OFFICE_HEAD: "pages.office_desk",
    UNIT_STAFF: "pages.my_todo", DEPT_SUPERVISOR: "pages.my_todo",
    LEADER: "pages.leader_queue", PRINCIPAL_LEADER: "pages.leader_queue",
}


def home(roles: tuple[str, ...]) -> str:
    """The endpoint a person with these roles (primary first) lands on."""
    return next((HOME[r] for r in roles if r in HOME), "pages.ledger")
