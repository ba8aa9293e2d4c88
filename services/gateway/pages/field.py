"""现场督查 on a tablet that works offline all day: the field page (one shell, the same bytes for everyone,
drawn from what the tablet stored), its web manifest and service worker (which precaches the shell and
its assets), binding a tablet from the web session (设备令牌), and the bound tablets' list where the office
revokes a lost one in one click. The page itself is static/field.js; its data comes from the day's bundle
(services/gateway/api/field.py) and goes back through the inspection API with the device token."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from services.gateway import accounts, devices, roles
from services.gateway.auth import db, now, require
from services.gateway.pages import bp

STATIC = Path(__file__).resolve().parents[1] / "static"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "field"
# What the service worker precaches besides the shell and the manifest (static/vendor: `make field-assets`).
ASSETS = ("app.css", "field.js", "vendor/idb/umd.js", "field-icon.svg", "field-icon-192.png", "field-icon-512.png")
SCOPE = "/field/"


@functools.cache
def assets_version() -> str:
    """A digest of everything precached: a changed asset makes a new worker, which replaces the cache."""
    digest = hashlib.sha256()
    for path in sorted(TEMPLATES.iterdir()):
        digest.update(path.read_bytes())
    for name in ASSETS:
        path = STATIC / name
        if not path.exists():
            raise RuntimeError(f"{path} is missing: run `make field-assets`")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fresh(response: Response) -> Response:
    """The shell and the worker are checked with the server on every online load (the cache is the worker's)."""
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/field/")
def field_shell() -> Response:
    """The same page for everyone (no user data in it): what it shows comes from the tablet's IndexedDB."""
    response = Response(render_template("field/shell.html", version=assets_version()))
    # Photos shown before they are synced are blob: URLs of what the tablet stored.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; worker-src 'self'; manifest-src 'self'")
    return _fresh(response)


@bp.get("/field/sw.js")
def field_worker() -> Response:
    urls = [SCOPE, url_for("pages.field_manifest")] + [url_for("pages.static", filename=name) for name in ASSETS]
    body = render_template("field/sw.js", version=assets_version(), urls=urls)
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = SCOPE
    return _fresh(response)


@bp.get("/field/manifest.webmanifest")
def field_manifest() -> Response:
    icon = functools.partial(url_for, "pages.static")
    manifest = {
        "name": "“710”督查督办 · 现场督查", "short_name": "现场督查", "lang": "zh-CN", "start_url": SCOPE, "scope": SCOPE,
        "display": "standalone", "orientation": "any", "background_color": "#f6f5f2", "theme_color": "#9b1c1c",
        "description": "督查组平板：离线查看当天的督查方案、台账与线索，离线记录督查情况、问题与照片，联网后自动同步",
        "icons": [{"src": icon(filename="field-icon-192.png"), "sizes": "192x192", "type": "image/png"},
                  {"src": icon(filename="field-icon-512.png"), "sizes": "512x512", "type": "image/png"},
                  {"src": icon(filename="field-icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return Response(current_app.json.dumps(manifest), mimetype="application/manifest+json")


@bp.route("/field/bind", methods=["GET", "POST"])
@require("inspection.inspect")
def field_bind() -> ResponseReturnValue:
    """绑定本平板: from the web session, a device token for this tablet; the page hands it to the tablet's
    storage once (field.js) and goes on to the field page."""
    after = request.values.get("next", SCOPE)
    after = after if after.startswith(SCOPE) else SCOPE
    error, issued = "", None
    if request.method == "POST":
        name = request.form.get("name", "").strip()[:devices.NAME_MAX]
        if not name:
            error = "请填写平板名称（如：督查一组平板）"
        else:
            user = accounts.get_user(db(), g.user.user_id)
            raw, token = devices.issue(db(), user, name, now(), current_app.extensions["settings"].device_token_days)
            db().commit()
            g.audit_target = str(token.id)
            issued = {"token": raw, "id": token.id, "name": token.name}
    response = Response(render_template("field/bind.html", error=error, issued=issued, after=after,
                                        name=request.form.get("name", "")), status=422 if error else 200)
    response.headers["Cache-Control"] = "no-store"  # the token is in this page once
    return response


@bp.get("/inspection/devices")
@require("inspection.inspect")
def inspection_devices() -> str:
    everyone = roles.allowed(g.user.roles, "inspection.devices")
    return render_template("inspection/devices.html", rows=devices.listed(db(), None if everyone else g.user.user_id),
                           everyone=everyone, done=request.args.get("done", ""))


@bp.post("/inspection/devices/<int:device_id>/revoke")
@require("inspection.inspect")
def inspection_device_revoke(device_id: int) -> ResponseReturnValue:
    token = devices.find(db(), device_id)
    if token is None or not (roles.allowed(g.user.roles, "inspection.devices") or token.user_id == g.user.user_id):
        abort(404)
    devices.revoke(db(), token, g.user.display_name, now())
    return redirect(url_for("pages.inspection_devices", done="revoked"))
