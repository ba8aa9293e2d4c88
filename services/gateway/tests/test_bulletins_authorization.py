"""Bulletins through the gateway, every endpoint × every role (BOLA): the office, its head and the
administrator; the staff of two units and a department's supervisor; a responsible leader, the principal
leader (主要领导); an inspector; the assessment office. A published bulletin is on everyone's board; a draft
is the office's (and the assessment office's to read); a submitted one the principal leader's too. One out
of a person's reach is answered exactly like a missing one (404, the same body): a refusal says nothing
about what exists. Acts the role may not take at all are 403; an act a role may take, on a bulletin in the
wrong step, reaches the service and is refused there (409) - the request was let through, nothing changed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from services.gateway.tests.bulletin_scene import PERIOD, PRINCIPAL, Scene, scene_for
from services.gateway.tests.conftest import Portal

ROLES = ("office", "office_head", "admin", "fgj_staff", "jyj_staff", "fgj_dept", "leader_li", PRINCIPAL, "inspector",
         "assessment")
OFFICE = ("office", "office_head", "admin")
ALL_OK = dict.fromkeys(ROLES, 200)
SEES_DRAFT = dict.fromkeys((*OFFICE, "assessment"), 200)
SEES_SUBMITTED = SEES_DRAFT | {PRINCIPAL: 200}


@dataclass
class Shared:
    draft: dict[str, Any]
    submitted: dict[str, Any]
    published: dict[str, Any]
    clearance: dict[str, Any]


@pytest.fixture(scope="module")
def scene(portal: Portal) -> Scene:
    portal.add_user("office_head", "office_head", "dcs", "sv-wang")
    portal.add_user("fgj_dept", "dept_supervisor", "fgj", "")
    return scene_for(portal)


@pytest.fixture(scope="module")
def shared(scene: Scene) -> Shared:
    clearance = scene.ok("POST", "/clearances", "office", json={"year": 2026, "as_of": "2026-12-02T09:00:00+08:00"})
    return Shared(scene.draft("专项通报（草稿）"), scene.submitted("专项通报（报批）"), scene.published("专项通报（印发）"),
                  clearance)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: Callable[[Shared], str]  # after /api/v1
    expected: dict[str, int]  # role -> status; a role not listed: 403 for a write, 404 for a read
    body: dict[str, Any] | None = None


CASES = [
    # reads
    Case("list bulletins", "GET", lambda s: "/bulletins", ALL_OK),
    Case("get published", "GET", lambda s: f"/bulletins/{s.published['id']}", ALL_OK),
    Case("get draft", "GET", lambda s: f"/bulletins/{s.draft['id']}", SEES_DRAFT),
    Case("get submitted", "GET", lambda s: f"/bulletins/{s.submitted['id']}", SEES_SUBMITTED),
    Case("chart of a draft", "GET", lambda s: f"/bulletins/{s.draft['id']}/chart", SEES_DRAFT),
    Case("chart of published", "GET", lambda s: f"/bulletins/{s.published['id']}/chart", ALL_OK),
    Case("docx of submitted", "GET", lambda s: f"/bulletins/{s.submitted['id']}/documents/docx", SEES_SUBMITTED),
    Case("pdf of published", "GET", lambda s: f"/bulletins/{s.published['id']}/documents/pdf", ALL_OK),
    Case("clearance draft", "GET", lambda s: "/clearances/2026", SEES_DRAFT),
    # the office drafts, edits, submits and publishes (a department's supervisor only its own internal ones)
    Case("generate", "POST", lambda s: "/bulletins", dict.fromkeys(OFFICE, 201),
         body={"kind": "special", "title": "专项通报（授权）", **PERIOD}),
    Case("generate a period once", "POST", lambda s: "/bulletins", {"office": 201, "office_head": 200, "admin": 200},
         body={"kind": "quarterly", "period": "2026Q3"}),
    Case("edit draft", "PATCH", lambda s: f"/bulletins/{s.draft['id']}", dict.fromkeys(OFFICE, 200) | {"fgj_dept": 404},
         body={"closing": "请各单位对照整改。"}),
    Case("submit published", "POST", lambda s: f"/bulletins/{s.published['id']}/submission",
         dict.fromkeys(OFFICE, 409) | {"fgj_dept": 403}),
    Case("publish draft", "POST", lambda s: f"/bulletins/{s.draft['id']}/publication",
         dict.fromkeys(OFFICE, 409) | {"fgj_dept": 404}),
    Case("generate clearance", "POST", lambda s: "/clearances", dict.fromkeys(OFFICE, 200),
         body={"year": 2026, "as_of": "2026-12-02T09:00:00+08:00"}),
    # the principal leader approves or returns
    Case("approve other bytes", "POST", lambda s: f"/bulletins/{s.submitted['id']}/approval", {PRINCIPAL: 409},
         body={"docx_sha256": "0" * 64, "pdf_sha256": "0" * 64}),
    Case("return published", "POST", lambda s: f"/bulletins/{s.published['id']}/return", {PRINCIPAL: 409},
         body={"comment": "请修改"}),
    # the assessment office files the 清零 report (here still a draft)
    Case("receipt of a draft clearance", "POST", lambda s: "/clearances/2026/receipt",
         {"assessment": 409, "admin": 409}, body={"receipt_no": "考备-1"}),
    Case("run the jobs", "POST", lambda s: "/bulletin-jobs", {"admin": 200}),
]


def _missing(path: str, other: str) -> str:
    parts = path.split("/")
    parts[2] = other
    return "/".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_endpoint_answers_each_role_by_its_scope(scene: Scene, shared: Shared, case: Case) -> None:
    wrong = {}
    for role in ROLES:
        path = case.path(shared)
        reply = scene.call(case.method, path, role, **({"json": case.body} if case.body is not None else {}))
        binary = case.method == "GET" and reply.status_code == 200 and "/documents/" in path
        text: str | bytes = reply.get_data() if binary else reply.get_data(as_text=True)
        expected = case.expected.get(role, 404 if case.method == "GET" else 403)
        if reply.status_code != expected:
            wrong[role] = (reply.status_code, expected, str(text)[:200])
        elif expected == 404 and path.startswith("/bulletins/"):
            assert reply.mimetype == "application/problem+json"
            # The same answer a missing one gets: nothing of the bulletin (no id, no title).
            other = str(uuid.uuid4())
            missing = scene.call(case.method, _missing(path, other), role,
                                 **({"json": case.body} if case.body is not None else {}))
            assert missing.status_code == 404
            assert missing.get_data(as_text=True).replace(other, "ID") == str(text).replace(path.split("/")[2], "ID")
            for secret in (shared.draft["title"], shared.submitted["title"]):
                assert secret not in str(text)
    assert not wrong, f"{case.name}: role -> (got, expected, body): {wrong}"


def test_a_unit_sees_on_the_board_only_what_is_published_and_finds_where_it_is_named(
        scene: Scene, shared: Shared) -> None:
    for role in ROLES:
        listed = {b["id"]: b["status"] for b in scene.ok("GET", "/bulletins", role)["bulletins"]}
        assert shared.published["id"] in listed, role
        if role not in SEES_DRAFT:
            assert shared.draft["id"] not in listed, role
        if role not in SEES_SUBMITTED:
            assert set(listed.values()) == {"published"}, role
    named = scene.ok("GET", "/bulletins?named_unit_id=fgj", "fgj_staff")["bulletins"]
    assert all("fgj" in b["named_unit_ids"] for b in named)
