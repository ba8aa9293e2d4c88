"""The authorisation matrix: every role against every endpoint, and unit A against unit B's item."""

from __future__ import annotations

import io
import uuid

import pytest
from openpyxl import Workbook

from services.gateway.tests.conftest import USERS, Portal

ALL = set(USERS)
WRITERS = {"office", "admin"}
SEE_ALL = {"office", "admin", "inspector", "assessment"}


def xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["事项名称", "牵头单位", "立项时间"])
    ws.append([f"矩阵导入{uuid.uuid4().hex[:6]}", "区教育局", "2026-11-20"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def fgj_item(portal: Portal) -> dict:
    """An item led by 发改局 (fgj), co-handled by nobody, with leader 李明 (ld-li)."""
    reply = portal.client().post("/api/v1/items", headers=portal.headers("office"), json={
        "title": "矩阵事项", "source": "other", "category": "general", "lead_unit_id": "fgj",
        "responsible_leader_id": "ld-li"})
    assert reply.status_code == 201
    return reply.get_json()


def expected_for(endpoint: str, user: str) -> int:
    can_see_fgj_item = user in SEE_ALL or user in ("fgj_staff", "leader_li")
    table = {
        "GET /api/v1/me": 200,
        "GET /api/v1/items": 200,
        "POST /api/v1/items": 201 if user in WRITERS else 403,
        "GET /api/v1/items/{id}": 200 if can_see_fgj_item else 404,
        "GET /api/v1/items/{id}/history": 200 if can_see_fgj_item else 404,
        "PATCH /api/v1/items/{id}": 200 if user in WRITERS else 403,
        "GET /api/v1/units": 200,
        "PUT /api/v1/units/{unit}": 200 if user == "admin" else 403,
        "GET /api/v1/people": 200,
        "PUT /api/v1/people/{person}": 200 if user == "admin" else 403,
        "GET /api/v1/ledger/export": 200,
        "POST /api/v1/ledger/import": 202 if user in WRITERS else 403,
        "GET /api/v1/ledger/imports": 200 if user in WRITERS else 403,
        "GET /api/v1/users": 200 if user == "admin" else 403,
        "POST /api/v1/users": 201 if user == "admin" else 403,
        "PATCH /api/v1/users/{uid}": 200 if user == "admin" else 403,
        "GET /api/v1/audit": 200 if user == "admin" else 403,
    }
    return table[endpoint]


ENDPOINTS = [
    "GET /api/v1/me", "GET /api/v1/items", "POST /api/v1/items", "GET /api/v1/items/{id}",
    "GET /api/v1/items/{id}/history", "PATCH /api/v1/items/{id}", "GET /api/v1/units", "PUT /api/v1/units/{unit}",
    "GET /api/v1/people", "PUT /api/v1/people/{person}", "GET /api/v1/ledger/export", "POST /api/v1/ledger/import",
    "GET /api/v1/ledger/imports",
    "GET /api/v1/users", "POST /api/v1/users", "PATCH /api/v1/users/{uid}", "GET /api/v1/audit",
]


def call(portal: Portal, endpoint: str, user: str | None, item: dict):
    method, path = endpoint.split(" ")
    path = path.replace("{id}", item["id"]).replace("{unit}", "tmp_unit").replace("{person}", "tmp_person")
    path = path.replace("{uid}", "1")
    headers = portal.headers(user) if user else {}
    client = portal.client()
    kwargs: dict = {"headers": headers}
    if endpoint == "POST /api/v1/items":
        kwargs["json"] = {"title": "矩阵立项", "source": "other", "category": "general", "lead_unit_id": "jyj"}
    elif endpoint == "PATCH /api/v1/items/{id}":
        kwargs["json"] = {"remarks": f"矩阵{uuid.uuid4().hex[:4]}"}
    elif endpoint == "PUT /api/v1/units/{unit}":
        kwargs["json"] = {"name": "临时单位", "kind": "office"}
    elif endpoint == "PUT /api/v1/people/{person}":
        kwargs["json"] = {"name": "临时人员", "unit_id": "dcs", "role": "staff"}
    elif endpoint == "POST /api/v1/ledger/import":
        kwargs["data"] = {"file": (io.BytesIO(xlsx()), "matrix.xlsx"), "mode": "validate"}
        kwargs["content_type"] = "multipart/form-data"
    elif endpoint == "POST /api/v1/users":
        kwargs["json"] = {"username": f"u{uuid.uuid4().hex[:8]}", "display_name": "新用户", "password": "longenough1",
                          "role": "inspector"}
    elif endpoint == "PATCH /api/v1/users/{uid}":
        kwargs["json"] = {"display_name": "office姓名"}
    return client.open(path, method=method, **kwargs)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("user", sorted(USERS))
def test_role_endpoint_matrix(portal: Portal, fgj_item, endpoint: str, user: str) -> None:
    reply = call(portal, endpoint, user, fgj_item)
    assert reply.status_code == expected_for(endpoint, user), reply.get_data(as_text=True)[:300]
    if reply.status_code >= 400:
        assert reply.mimetype == "application/problem+json"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_gets_401(portal: Portal, fgj_item, endpoint: str) -> None:
    reply = call(portal, endpoint, None, fgj_item)
    assert reply.status_code == 401 and reply.mimetype == "application/problem+json"


def test_bad_token_gets_401(portal: Portal) -> None:
    reply = portal.client().get("/api/v1/items", headers={"Authorization": "Bearer dbn_forged"})
    assert reply.status_code == 401 and "令牌" in reply.get_json()["detail"]
