"""Logins, throttling, tokens, sessions, CSRF and the append-only audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from services.gateway.orm import AuditEntry, User
from services.gateway.tests.conftest import PASSWORD, Portal


def token_for(portal: Portal, username: str, password: str = PASSWORD):
    return portal.client().post("/api/v1/auth/token", json={"username": username, "password": password})


def test_token_login_use_and_revoke(portal: Portal) -> None:
    reply = token_for(portal, "inspector")
    assert reply.status_code == 201
    token = reply.get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = portal.client().get("/api/v1/me", headers=headers).get_json()
    assert me["username"] == "inspector" and me["role"] == "inspector"
    assert portal.client().delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert portal.client().get("/api/v1/me", headers=headers).status_code == 401


def test_passwords_are_hashed_with_argon2(portal: Portal) -> None:
    with portal.app.app_context():
        session = portal.app.extensions["accounts_db"]()
        user = session.scalars(select(User).where(User.username == "office")).one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        session.close()


def test_throttling_locks_after_repeated_failures(portal: Portal) -> None:
    for _ in range(5):
        assert token_for(portal, "assessment", "wrong-password").status_code == 401
    locked = token_for(portal, "assessment")  # even the right password is refused while locked
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    page = portal.client().post("/login", data={"username": "assessment", "password": PASSWORD})
    assert page.status_code in (403, 429)  # no CSRF token from a session: refused before the password check
    clock = portal.app.extensions["clock"]
    clock.advance(dt.timedelta(minutes=16))
    try:
        assert token_for(portal, "assessment").status_code == 201
    finally:
        clock.advance(-dt.timedelta(minutes=16))


def test_session_login_needs_csrf_and_guards_state_changes(portal: Portal) -> None:
    browser = portal.login("office")
    assert browser.get("/ledger").status_code == 200
    no_csrf = browser.post("/api/v1/items", json={"title": "x", "source": "other", "category": "general",
                                                  "lead_unit_id": "fgj"})
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.get_json()["detail"]
    with_csrf = browser.post("/api/v1/items", headers={"X-CSRF-Token": browser.csrf},  # type: ignore[attr-defined]
                             json={"title": "会话立项", "source": "other", "category": "general", "lead_unit_id": "fgj"})
    assert with_csrf.status_code == 201
    assert browser.post("/logout").status_code == 403  # logout is a state change too
    assert browser.post("/logout", data={"csrf_token": browser.csrf}).status_code == 302  # type: ignore[attr-defined]
    assert browser.get("/ledger").status_code == 302


def test_logout_ends_that_session_on_the_server_and_login_rotates_it(portal: Portal) -> None:
    """A cookie copied before logout used to keep working for 12 hours; the anonymous session's CSRF
    token survived login. Now both are fresh at login, logout ends that session, and the user's other
    sessions and tokens go on."""
    anonymous = portal.app.test_client()
    anonymous.get("/login")
    with anonymous.session_transaction() as sess:
        before = sess["csrf"]
    browser = portal.login("office")
    other = portal.login("office")
    with browser.session_transaction() as sess:
        copied, sid = dict(sess), sess["sid"]
    assert copied["csrf"] != before and sid
    assert browser.post("/logout", data={"csrf_token": browser.csrf}).status_code == 302  # type: ignore[attr-defined]
    thief = portal.app.test_client()
    with thief.session_transaction() as sess:
        sess.update(copied)
    assert thief.get("/ledger").status_code == 302  # to the login page: the session is over
    assert thief.get("/api/v1/items", headers={"Accept": "application/json"}).status_code == 401
    assert other.get("/ledger").status_code == 200
    assert portal.client().get("/api/v1/items", headers=portal.headers("office")).status_code == 200


def test_password_change_ends_old_sessions(portal: Portal) -> None:
    browser = portal.login("leader_zhao")
    admin = portal.headers("admin")
    users = portal.client().get("/api/v1/users", headers=admin).get_json()["users"]
    zhao = next(u for u in users if u["username"] == "leader_zhao")
    changed = portal.client().patch(f"/api/v1/users/{zhao['id']}", headers=admin, json={"password": "another-pass-1"})
    assert changed.status_code == 200
    assert browser.get("/ledger").status_code == 302  # back to the login page
    portal.client().patch(f"/api/v1/users/{zhao['id']}", headers=admin, json={"password": PASSWORD})


def test_user_admin_validation(portal: Portal) -> None:
    admin = portal.headers("admin")
    bad = portal.client().post("/api/v1/users", headers=admin, json={
        "username": "x", "display_name": "", "password": "short", "role": "king"})
    assert bad.status_code == 422 and {"display_name", "password", "role"} <= set(bad.get_json()["errors"])
    leader = portal.client().post("/api/v1/users", headers=admin, json={
        "username": "lonely_leader", "display_name": "领导", "password": "long-enough-1", "role": "leader"})
    assert leader.status_code == 422 and "person_id" in leader.get_json()["errors"]
    dup = portal.client().post("/api/v1/users", headers=admin, json={
        "username": "office", "display_name": "重复", "password": "long-enough-1", "role": "office"})
    assert dup.status_code == 409


def test_open_redirect_after_login_is_refused(portal: Portal) -> None:
    client = portal.client()
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    reply = client.post("/login?next=https://evil.example/", data={"username": "admin", "password": PASSWORD,
                                                                   "csrf_token": csrf})
    assert reply.status_code == 302 and reply.headers["Location"] == "/ledger"


def test_state_changes_are_audited_and_the_log_is_append_only(portal: Portal) -> None:
    reply = portal.client().post("/api/v1/items", headers=portal.headers("office"), json={
        "title": "审计事项", "source": "other", "category": "general", "lead_unit_id": "fgj"})
    denied = portal.client().post("/api/v1/items", headers=portal.headers("fgj_staff"), json={})
    assert denied.status_code == 403
    entries = portal.client().get("/api/v1/audit", headers=portal.headers("admin")).get_json()["entries"]
    mine = next(e for e in entries if e["target"] == reply.get_json()["item_no"])
    assert (mine["username"], mine["role"], mine["method"], mine["status"]) == ("office", "office", "POST", 201)
    assert mine["ip"] == "127.0.0.1"
    assert any(e["username"] == "fgj_staff" and e["status"] == 403 for e in entries)
    with portal.app.app_context():
        session = portal.app.extensions["accounts_db"]()
        for statement in ("UPDATE audit_log SET status = 200", "DELETE FROM audit_log"):
            with pytest.raises(DatabaseError, match="append-only"):
                session.execute(text(statement))
            session.rollback()
        assert session.scalar(select(AuditEntry.id).limit(1)) is not None
        session.close()


def test_metrics_count_requests_and_login_failures(portal: Portal) -> None:
    token_for(portal, "admin", "bad-password")
    body = portal.client().get("/metrics").get_data(as_text=True)
    assert 'gateway_http_requests_total{method="GET",route="/api/v1/items"' in body or "gateway_http_requests_total" in body
    assert "gateway_login_failures_total" in body and "gateway_http_request_seconds_bucket" in body
