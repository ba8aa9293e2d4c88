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
