"""The gateway's Flask app factory: accounts, the REST API, the pages. No domain data lives here."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from libs.common import call_auth, deadline_text, migrations, vocabulary
from libs.common.clock import OFFICE_TZ, clock_from_setting
from libs.common.db import make_engine, read_only
from services.gateway import audit, auth, calls, idempotency, metrics, names, roles
from services.gateway.clients import service_clients
from services.gateway.config import Settings
from services.gateway.present import JSONProvider
from services.gateway.problems import register_error_handlers

MIGRATIONS = Path(__file__).with_name("migrations")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `test_config` may carry "settings" (a Settings) and "clock"."""
    config = test_config or {}
    settings: Settings = config.get("settings") or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.upload_max_bytes + 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        JSON_AS_ASCII=False,
    )
    app.json = JSONProvider(app)
    app.json.ensure_ascii = False
    engine = make_engine(settings.database_url, pool_size=5)
    if settings.migrate_on_start:
        migrations.upgrade(MIGRATIONS, engine)
    app.extensions["settings"] = settings
    app.extensions["clock"] = config.get("clock") or clock_from_setting(None)
    app.extensions["accounts_db"] = sessionmaker(engine, expire_on_commit=False)
    # Who-is-calling lookups only read: no write lock on SQLite, and the session ends at once.
    app.extensions["accounts_read"] = sessionmaker(read_only(engine), expire_on_commit=False)
    app.extensions["accounts_engine"] = engine
    signer = call_auth.signer_for(settings.call_auth, "gateway", people=True)
    assert signer is not None  # Settings require the gateway's signing key
    app.extensions.update(service_clients(settings.service_addrs, settings.grpc_timeout_seconds, signer,
                                          calls.acting))

    @app.before_request
    def _body_limit() -> None:
        # Before anything reads the form (the CSRF check does): a finding's photos may be a larger body
        # than anything else the portal takes.
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "photo_upload", False):
            request.max_content_length = settings.photo_upload_max_bytes + 1024 * 1024

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        auth.load_user()
        auth.check_device_scope()
        auth.check_csrf()

    @app.after_request
    def _finish(response: Response) -> Response:
        response = audit.record(response)
        auth.record_device_use(response.status_code)
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.HTTP_REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        if "started" in g:
            metrics.HTTP_SECONDS.labels(route, request.method).observe(time.perf_counter() - g.started)
        if idempotency.replayed():
            response.headers[idempotency.REPLAYED_HEADER] = "true"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Pages load only their own scripts, styles and images: no inline script, nothing from elsewhere.
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.teardown_appcontext(auth.close_db)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {"csrf_token": auth.csrf_token, "form_keys": idempotency.form_keys, "current_user": g.get("user"),
                "ROLES": roles.ROLES, "OFFICE_ROLES": sorted(roles.OFFICE_ROLES), "policy": settings.policy,
                "allowed": roles.allowed, "org_name": settings.org_name,
                "unit_name": names.unit_name, "LIGHT_LABELS": vocabulary.LIGHTS,
                "photo_upload_max_bytes": settings.photo_upload_max_bytes}

    @app.template_filter("due_text")
    def _due_text(due: str, provisional: bool = False) -> str:
        """A deadline (YYYY-MM-DD) as people read it, with what a provisional one waits for."""
        return deadline_text.due_date_text(dt.date.fromisoformat(due), provisional) if due else ""

    @app.template_filter("provisional_explanation")
    def _provisional_explanation(due: str) -> str:
        return deadline_text.provisional_explanation([dt.date.fromisoformat(due).year]) if due else ""

    @app.template_filter("local_time")
    def _local_time(ts: Timestamp) -> str:
        """A protobuf Timestamp as office-local time (Beijing)."""
        return ts.ToDatetime(tzinfo=dt.UTC).astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M")

    @app.template_filter("local_dt")
    def _local_dt(at: dt.datetime) -> str:
        """A stored UTC datetime as office-local time (Beijing)."""
        return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M")

    @app.template_filter("file_size")
    def _file_size(size: int) -> str:
        """A file's size as people read it (字节 below 1 KB)."""
        if size < 1024:
            return f"{size} 字节"
        return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> dict[str, str]:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ready"}

    if not settings.metrics_port:  # single-process and test set-ups: metrics on the portal itself

        @app.get("/metrics")
        def metrics_endpoint() -> Response:
            body, content_type = metrics.exposition()
            return Response(body, mimetype=content_type.split(";")[0], headers={"Content-Type": content_type})

    from services.gateway.api import bp as api_bp
    from services.gateway.openapi import bp as openapi_bp
    from services.gateway.pages import bp as pages_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(openapi_bp)
    app.register_blueprint(pages_bp)
    register_error_handlers(app)
    return app
