"""Roles and what each may do: one table, read by the API and the pages alike.

Department scoping (who sees which item) is in scope.py; this says which actions a role may take at all.
"""

from __future__ import annotations

OFFICE = "office"  # 督查室
UNIT_STAFF = "unit_staff"  # 承办单位
LEADER = "leader"  # 责任领导
INSPECTOR = "inspector"  # 督查组
ASSESSMENT = "assessment"  # 考核办
ADMIN = "admin"  # 系统管理员

ROLES: dict[str, str] = {
    OFFICE: "督查室工作人员",
    UNIT_STAFF: "承办单位工作人员",
    LEADER: "责任领导",
    INSPECTOR: "督查组成员",
    ASSESSMENT: "考核办",
    ADMIN: "系统管理员",
}

EVERYONE = frozenset(ROLES)

PERMISSIONS: dict[str, frozenset[str]] = {
    "items.read": EVERYONE,
    "items.register": frozenset({OFFICE, ADMIN}),
    "items.update": frozenset({OFFICE, ADMIN}),
    "ledger.export": EVERYONE,
    "ledger.import": frozenset({OFFICE, ADMIN}),
    "directory.read": EVERYONE,
    "directory.write": frozenset({ADMIN}),
    "users.manage": frozenset({ADMIN}),
    "audit.read": frozenset({ADMIN}),
    "tracking.read": EVERYONE,
    "tracking.notice": frozenset({OFFICE, ADMIN}),
    "tracking.unit_act": frozenset({UNIT_STAFF, OFFICE, ADMIN}),  # acknowledge, report, extension, reply
    "tracking.completion": frozenset({OFFICE, ADMIN}),
    "tracking.urge": frozenset({OFFICE, ADMIN}),  # 电话督办 / 书面督办
    "tracking.sign": frozenset({LEADER}),
    "tracking.sweep": frozenset({ADMIN}),
}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]
