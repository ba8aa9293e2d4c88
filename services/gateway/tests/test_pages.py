"""The Chinese pages through Flask's test client (the browser suite drives them in Chromium)."""

from __future__ import annotations

import uuid

from services.gateway.tests.conftest import Portal


def test_login_page_and_redirect_when_anonymous(portal: Portal) -> None:
    client = portal.client()
    assert client.get("/ledger").status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "用户名" in page and "密码" in page


def test_wrong_password_shows_chinese_error(portal: Portal) -> None:
    client = portal.client()
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    reply = client.post("/login", data={"username": "office", "password": "nope-nope", "csrf_token": csrf})
    assert reply.status_code == 401 and "用户名或密码错误" in reply.get_data(as_text=True)


def test_register_form_shows_field_errors_and_then_registers(portal: Portal) -> None:
    browser = portal.login("office")
    form = browser.get("/items/new").get_data(as_text=True)
    assert "立项登记" in form and "区发展和改革局" in form and "李明" in form
    bad = browser.post("/items/new", data={"csrf_token": browser.csrf, "title": "", "source": "", "category": "general",  # type: ignore[attr-defined]
                                           "lead_unit_id": ""})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "事项名称不能为空" in text and 'aria-invalid="true"' in text
    title = f"页面立项{uuid.uuid4().hex[:6]}"
    ok = browser.post("/items/new", data={"csrf_token": browser.csrf, "title": title, "source": "leader_assignment",  # type: ignore[attr-defined]
                                          "category": "complex", "lead_unit_id": "fgj", "co_unit_ids": ["jyj"],
                                          "responsible_leader_id": "ld-li"})
    assert ok.status_code == 302
    detail = browser.get(ok.headers["Location"]).get_data(as_text=True)
    assert "已立项，编号" in detail and title in detail and "区教育局（协办）" in detail and "修改记录" in detail
    ledger = browser.get("/ledger", query_string={"q": title}).get_data(as_text=True)
    assert title in ledger and "light-green" in ledger and "绿灯" in ledger and "共 <strong>1</strong> 项" in ledger


def test_unit_page_does_not_list_other_units_items(portal: Portal) -> None:
    title = f"页面范围{uuid.uuid4().hex[:6]}"
    reply = portal.client().post("/api/v1/items", headers=portal.headers("office"), json={
        "title": title, "source": "other", "category": "general", "lead_unit_id": "zjj"})
    item_id = reply.get_json()["id"]
    jyj = portal.login("jyj_staff")
    assert title not in jyj.get("/ledger").get_data(as_text=True)
    assert jyj.get(f"/items/{item_id}").status_code == 404
    assert "立项登记" not in jyj.get("/ledger").get_data(as_text=True)  # no register link for units
    assert jyj.get("/items/new").status_code == 403


def test_export_and_import_pages(portal: Portal) -> None:
    browser = portal.login("office")
    export = browser.get("/ledger/export", query_string={"form": "unit_ledger"})
    assert export.status_code == 200 and export.data[:2] == b"PK"
    page = browser.get("/ledger/import").get_data(as_text=True)
    assert "导入台账" in page and "progress" in page and "下载错误报告" in page


def test_admin_page_lists_users_and_audit(portal: Portal) -> None:
    admin = portal.login("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "用户管理" in page and "fgj_staff" in page and "最近的操作记录" in page
    username = f"new{uuid.uuid4().hex[:6]}"
    created = admin.post("/admin/users", data={"csrf_token": admin.csrf, "username": username, "display_name": "新人",  # type: ignore[attr-defined]
                                               "password": "long-enough-1", "role": "unit_staff", "unit_id": "jyj"})
    assert created.status_code == 302
    assert username in admin.get("/admin/users").get_data(as_text=True)
    bad = admin.post("/admin/users", data={"csrf_token": admin.csrf, "username": "x2", "display_name": "x",  # type: ignore[attr-defined]
                                           "password": "short", "role": "unit_staff"})
    assert bad.status_code == 422 and "密码至少8位" in bad.get_data(as_text=True)


def test_admin_gives_an_account_a_second_role(portal: Portal) -> None:
    """The 区长 is the principal leader and the responsible leader of items: one account, two roles."""
    admin = portal.login("admin")
    username = f"qz{uuid.uuid4().hex[:6]}"
    created = admin.post("/admin/users", data={"csrf_token": admin.csrf, "username": username, "display_name": "区长",  # type: ignore[attr-defined]
                                               "password": "long-enough-1", "role": "principal_leader",
                                               "person_id": "ld-li", "extra_roles": ["leader"]})
    assert created.status_code == 302
    user = next(u for u in admin.get("/api/v1/users").get_json()["users"] if u["username"] == username)
    assert user["role"] == "principal_leader" and user["extra_roles"] == ["leader"]
    assert "兼任角色：责任领导" in admin.get("/admin/users").get_data(as_text=True)
    # Saving the row without the box ticked takes the role away again.
    saved = admin.post("/admin/users", data={"csrf_token": admin.csrf, "user_id": str(user["id"]),  # type: ignore[attr-defined]
                                             "display_name": "区长", "role": "principal_leader", "unit_id": "",
                                             "person_id": "ld-li", "active": "on"})
    assert saved.status_code == 302
    user = next(u for u in admin.get("/api/v1/users").get_json()["users"] if u["username"] == username)
    assert user["extra_roles"] == []


def test_health_and_api_docs(portal: Portal) -> None:
    client = portal.client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}
    assert "/api/v1/items" in client.get("/api/docs").get_data(as_text=True)


def test_pages_carry_a_content_security_policy(portal: Portal) -> None:
    """Only the portal's own scripts and styles run (the browser tests check the pages still work)."""
    reply = portal.client().get("/login")
    policy = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
