"""Roles, what each may do, and which items each sees: one table, read by the gateway (pages and API)
and by every service for its own checks. Deny by default: a role, permission or scope nobody listed
allows nothing and sees nothing.

A person may hold more than one role (the 区长 is the principal leader and the responsible leader of
items); whatever any of their roles allows, they may do, and they see the union of their scopes.
"""

from __future__ import annotations

from collections.abc import Iterable

from libs.common import todo
from libs.common.errors import PermissionDenied

OFFICE = "office"  # 督查室工作人员
OFFICE_HEAD = "office_head"  # 督查室主任: approves inspection plans
UNIT_STAFF = "unit_staff"  # 承办单位工作人员
DEPT_SUPERVISOR = "dept_supervisor"  # 部门督查员: a department supervising its own work (Art. 3)
LEADER = "leader"  # 责任领导
PRINCIPAL_LEADER = "principal_leader"  # 主要领导: approves bulletins
INSPECTOR = "inspector"  # 督查组成员
ASSESSMENT = "assessment"  # 考核办
ADMIN = "admin"  # 系统管理员
SYSTEM = "system"  # another service or a job (no person)

ROLE_LABELS: dict[str, str] = {
    OFFICE: "督查室工作人员",
    OFFICE_HEAD: "督查室主任",
    UNIT_STAFF: "承办单位工作人员",
    DEPT_SUPERVISOR: "部门督查员",
    LEADER: "责任领导",
    PRINCIPAL_LEADER: "主要领导",
    INSPECTOR: "督查组成员",
    ASSESSMENT: "考核办",
    ADMIN: "系统管理员",
}
PERSON_ROLES = frozenset(ROLE_LABELS)  # the roles an account can hold (SYSTEM is no person's)
EVERYONE = PERSON_ROLES
OFFICE_ROLES = frozenset({OFFICE, OFFICE_HEAD, ADMIN})

PERMISSIONS: dict[str, frozenset[str]] = {
    "items.read": EVERYONE,
    "items.register": OFFICE_ROLES | {SYSTEM},  # SYSTEM: follow-up items, inspection's new items
    "items.update": OFFICE_ROLES,
    "ledger.export": EVERYONE,
    "ledger.import": OFFICE_ROLES,
    "directory.read": EVERYONE,
    "directory.write": frozenset({ADMIN, SYSTEM}),  # SYSTEM: the directory import and the demo loader
    "calendar.manage": OFFICE_ROLES | {SYSTEM},  # recompute deadlines once a year's table is installed
    "users.manage": frozenset({ADMIN}),
    "audit.read": frozenset({ADMIN}),
    "tracking.read": EVERYONE,
    "tracking.notice": OFFICE_ROLES,
    # acknowledge, report, extension request, reply: a unit for itself (and the office recording for it)
    "tracking.unit_act": frozenset({UNIT_STAFF, DEPT_SUPERVISOR}) | OFFICE_ROLES,
    "tracking.completion": OFFICE_ROLES,
    "tracking.urge": OFFICE_ROLES,  # 电话督办 / 书面督办
    "tracking.sign": frozenset({LEADER, PRINCIPAL_LEADER}),  # only the item's own responsible leader, see tracking
    "tracking.sweep": frozenset({ADMIN, SYSTEM}),
    "events.read": frozenset({SYSTEM}),  # a service's retained outbox, read by its consumers' reconcilers
    # Inspection (Art. 6.4-6.6): the office plans, its head approves, the team inspects (only its own
    # plans, see services/inspection/context.py), units report their rectifications, leaders read escalations.
    "inspection.read": EVERYONE,
    "inspection.plan": OFFICE_ROLES,
    "inspection.approve": frozenset({OFFICE_HEAD, ADMIN}),
    "inspection.inspect": frozenset({INSPECTOR}) | OFFICE_ROLES,
    "inspection.rectify": frozenset({UNIT_STAFF, DEPT_SUPERVISOR}) | OFFICE_ROLES,
    "inspection.acknowledge": frozenset({LEADER, PRINCIPAL_LEADER, OFFICE_HEAD}),
    "inspection.register_item": OFFICE_ROLES,
    "inspection.devices": OFFICE_ROLES,  # every bound tablet listed, any revoked (an inspector: their own)
    "inspection.sweep": frozenset({ADMIN, SYSTEM}),
    # Bulletins (通报, Art. 7.1): the office drafts (a department's supervisor its own internal ones, Art. 3),
    # the principal leader approves or returns, the office publishes; everyone reads the published ones;
    # the assessment office records its receipt of the 清零 report (备案).
    "bulletins.read": EVERYONE | {SYSTEM},
    "bulletins.draft": OFFICE_ROLES | frozenset({DEPT_SUPERVISOR, SYSTEM}),
    "bulletins.approve": frozenset({PRINCIPAL_LEADER}),
    "bulletins.publish": OFFICE_ROLES | frozenset({DEPT_SUPERVISOR}),
    "bulletins.receipt": frozenset({ASSESSMENT, ADMIN}),
    "bulletins.jobs": frozenset({ADMIN, SYSTEM}),
    # 消息 (the inbox): everyone reads and marks their own (services/notification/inbox.py decides whose)
    "messages.read": EVERYONE,
    # 我的待办 / 待我签批 (libs/common/todo.py): the roles with work of their own to list, see TODO_AUDIENCES
    "todo.read": frozenset({UNIT_STAFF, DEPT_SUPERVISOR, LEADER, PRINCIPAL_LEADER, OFFICE_HEAD, SYSTEM}),
    # The assessment (考核, Art. 7.2): everyone reads the scores they may see (whose: services/evaluation/
    # context.py - a person their own, a unit its own and its people's, the office, the assessment office and
    # leaders all); the assessment office sets the rules, accepts (freezes) a year and decides adjustments.
    "evaluation.read": EVERYONE | {SYSTEM},
    "evaluation.assess": frozenset({ASSESSMENT, ADMIN}),
    "evaluation.replay": frozenset({ASSESSMENT, ADMIN, SYSTEM}),
}

# Which items a role sees: all of them, its unit's (lead or co unit), or the ones it is the responsible
# leader of. A role with no entry sees none.
ALL, UNIT, OWN_LEADER = "all", "unit", "leader"
SCOPES: dict[str, str] = {
    OFFICE: ALL, OFFICE_HEAD: ALL, ADMIN: ALL, INSPECTOR: ALL, ASSESSMENT: ALL, PRINCIPAL_LEADER: ALL, SYSTEM: ALL,
    UNIT_STAFF: UNIT, DEPT_SUPERVISOR: UNIT,
    LEADER: OWN_LEADER,
}

# Whose to-do a role reads: its unit's work ("unit", by the account's unit) or the signatures waiting for
# it ("leader", by the account's person). The office has its desk instead; a role with no entry has none.
# The office head (督查室主任) reads by person too: plans to approve and escalations addressed to them.
TODO_AUDIENCES: dict[str, str] = {UNIT_STAFF: todo.UNIT, DEPT_SUPERVISOR: todo.UNIT, LEADER: todo.LEADER,
                                  PRINCIPAL_LEADER: todo.LEADER, OFFICE_HEAD: todo.LEADER}


def todo_audiences(roles: str | Iterable[str]) -> frozenset[str]:
    """The to-do audiences of `roles` (libs/common/todo.py UNIT, LEADER); empty means no to-do."""
    return frozenset(TODO_AUDIENCES[r] for r in ([roles] if isinstance(roles, str) else roles) if r in TODO_AUDIENCES)


def allowed(roles: str | Iterable[str], permission: str) -> bool:
    """Whether any of `roles` may `permission`; an unknown permission is allowed to nobody."""
    granted = PERMISSIONS.get(permission, frozenset())
    return any(role in granted for role in ([roles] if isinstance(roles, str) else roles))


def require(roles: str | Iterable[str], permission: str) -> None:
    """A service's own check: PermissionDenied (gRPC PERMISSION_DENIED) unless allowed."""
    if not allowed(roles, permission):
        raise PermissionDenied(f"{permission} not allowed for {roles}", {"role": "您的角色无权办理此操作"})


def scopes(roles: str | Iterable[str]) -> frozenset[str]:
    """The scopes of `roles` (ALL, UNIT, OWN_LEADER); empty means nothing is visible."""
    return frozenset(SCOPES[r] for r in ([roles] if isinstance(roles, str) else roles) if r in SCOPES)
