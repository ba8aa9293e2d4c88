"""Login and logout for people at the portal (sessions), with the same throttling as the API."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from services.gateway import accounts, roles
from services.gateway.auth import attempt_login, end_session, require, start_session
from services.gateway.pages import bp


def _home() -> str:
    """The signed-in person's own work (roles.HOME)."""
    return url_for(roles.home(g.user.roles))


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send people elsewhere after login."""
    if not target:
        return _home()
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return _home()
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = ""
    status = 200
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            user = attempt_login(username, password)
        except accounts.LoginLocked as locked:
            error, status = f"登录失败次数过多，请 {max(1, locked.retry_after // 60)} 分钟后再试。", 429
        except accounts.BadCredentials:
            error, status = "用户名或密码错误。", 401
        else:
            start_session(user)
            g.user = accounts.principal(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", error=error), status


@bp.post("/logout")
@require()
def logout() -> ResponseReturnValue:
    end_session()
    return redirect(url_for("pages.login"))


@bp.get("/")
def index() -> ResponseReturnValue:
    return redirect(_home() if g.get("user") else url_for("pages.ledger"))
