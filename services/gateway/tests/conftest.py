"""The gateway against real ledger, tracking, inspection and notification gRPC servers: Flask's test client
plus accounts for every role. Every page of a unit's staff or a leader counts their to-do, which asks
tracking, inspection and notification, so the portal runs all four (once per module: a service's consumer
group costs seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from libs.common.clock import ManualClock
from libs.common.testing import call_keys, running_service
from services.evaluation.bootstrap import EvaluationApp
from services.evaluation.bootstrap import bootstrap as evaluation_bootstrap
from services.evaluation.config import Settings as EvaluationSettings
from services.gateway import accounts
from services.gateway.app import create_app
from services.gateway.config import Settings
from services.inspection.bootstrap import InspectionApp
from services.inspection.bootstrap import bootstrap as inspection_bootstrap
from services.inspection.config import Settings as InspectionSettings
from services.inspection.tests.conftest import seed_team
from services.ledger.tests.conftest import START, LedgerUnderTest, started_ledger
from services.notification.bootstrap import NotificationApp
from services.notification.bootstrap import bootstrap as notification_bootstrap
from services.notification.config import Settings as NotificationSettings
from services.tracking.bootstrap import TrackingApp
from services.tracking.bootstrap import bootstrap as tracking_bootstrap
from services.tracking.config import Settings as TrackingSettings

PASSWORD = "correct-horse-1"
USERS = {
    # username: (role, unit_id, person_id)
    "office": ("office", "dcs", ""),
    "fgj_staff": ("unit_staff", "fgj", ""),
    "jyj_staff": ("unit_staff", "jyj", ""),
    "leader_li": ("leader", "dcs", "ld-li"),
    "leader_zhao": ("leader", "dcs", "ld-zhao"),
    "inspector": ("inspector", "dcs", "sv-ma"),  # 马骏, who leads the inspection tests' plans
    "assessment": ("assessment", "", ""),
    "admin": ("admin", "", ""),
}


@dataclass
class Portal:
    app: Flask
    ledger: LedgerUnderTest
    tokens: dict[str, str]
    tracking: TrackingApp | None = None
    inspection: InspectionApp | None = None
    notification: NotificationApp | None = None
    evaluation: EvaluationApp | None = None

    def add_user(self, username: str, role: str, unit_id: str = "", person_id: str = "") -> None:
        """An account beyond USERS (a test module's own roles), with its token in `tokens`."""
        with self.app.app_context():
            session = self.app.extensions["accounts_db"]()
            user = accounts.create_user(session, username, f"{username}姓名", PASSWORD, role, unit_id, person_id)
            self.tokens[username] = accounts.issue_token(session, user, "test", self.ledger.clock.now(), 30)[0]
            session.commit()
            session.close()

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def login(self, username: str) -> FlaskClient:
        """A browser-like client with a session cookie (and its CSRF token)."""
        client = self.app.test_client()
        client.get("/login")
        with client.session_transaction() as sess:
            csrf = sess["csrf"]
        reply = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf})
        assert reply.status_code == 302, reply.data
        with client.session_transaction() as sess:  # a login starts a new session with a new token
            client.csrf = sess["csrf"]  # type: ignore[attr-defined]
        return client


def make_portal(ledger: LedgerUnderTest, db_url: str, tracking_port: int = 0, inspection_port: int = 0,
                notification_port: int = 0, evaluation_port: int = 0) -> Portal:
    settings = Settings.from_env({
        "DUBAN_DATABASE_URL": db_url, "DUBAN_SECRET_KEY": "test-secret-key-0123456789",
        "DUBAN_LEDGER_ADDR": f"127.0.0.1:{ledger.port}", "DUBAN_SECURE_COOKIES": "false",
        "DUBAN_TRACKING_ADDR": f"127.0.0.1:{tracking_port or 1}",
        "DUBAN_INSPECTION_ADDR": f"127.0.0.1:{inspection_port or 1}",
        "DUBAN_NOTIFICATION_ADDR": f"127.0.0.1:{notification_port or 1}",
        "DUBAN_EVALUATION_ADDR": f"127.0.0.1:{evaluation_port or 1}", **call_keys().env("gateway"),
    })
    clock = ManualClock(START)
    app = create_app({"settings": settings, "clock": clock})
    tokens = {}
    with app.app_context():
        session = app.extensions["accounts_db"]()
        for username, (role, unit, person) in USERS.items():
            user = accounts.create_user(session, username, f"{username}姓名", PASSWORD, role, unit, person)
            tokens[username] = accounts.issue_token(session, user, "test", clock.now(), 30)[0]
        session.commit()
        session.close()
    return Portal(app, ledger, tokens)


@contextmanager
def started_portal(broker, base: Path, evaluation: bool = False) -> Iterator[Portal]:
    """The portal on real ledger, tracking, inspection and notification servers (and, with `evaluation`,
    the evaluation service: only the modules that read scores pay for its consumers)."""
    with ExitStack() as stack:
        ledger = stack.enter_context(started_ledger("sqlite", f"sqlite:///{base}/ledger.db", broker))
        tracking = stack.enter_context(running_service(
            tracking_bootstrap, TrackingSettings.from_env, broker.bootstrap, f"sqlite:///{base}/tracking.db",
            ledger.clock, {"DUBAN_STORAGE_DIR": str(base / "files"), "DUBAN_SWEEP_INTERVAL_SECONDS": "0"}))
        seed_team(ledger.stub)
        inspection = stack.enter_context(running_service(
            inspection_bootstrap, InspectionSettings.from_env, broker.bootstrap, f"sqlite:///{base}/inspection.db",
            ledger.clock, {"DUBAN_STORAGE_DIR": str(base / "photos"), "DUBAN_SWEEP_INTERVAL_SECONDS": "0",
                           "DUBAN_LEDGER_ADDR": f"127.0.0.1:{ledger.port}"}))
        notification = stack.enter_context(running_service(
            notification_bootstrap, NotificationSettings.from_env, broker.bootstrap, f"sqlite:///{base}/notification.db",
            ledger.clock, {"DUBAN_STORAGE_DIR": str(base / "bulletins"), "DUBAN_BULLETIN_JOB_INTERVAL_SECONDS": "0",
                           "DUBAN_LEDGER_ADDR": f"127.0.0.1:{ledger.port}"}))
        scores = stack.enter_context(running_service(
            evaluation_bootstrap, EvaluationSettings.from_env, broker.bootstrap, f"sqlite:///{base}/evaluation.db",
            ledger.clock)) if evaluation else None
        portal = make_portal(ledger, f"sqlite:///{base}/gateway.db", tracking.port, inspection.port, notification.port,
                             scores.port if scores else 0)
        portal.tracking = tracking.app
        portal.inspection = inspection.app
        portal.notification = notification.app
        portal.evaluation = scores.app if scores else None
        yield portal
        for name in ("ledger", "tracking", "inspection", "notification", "evaluation"):
            portal.app.extensions[name].close()


@pytest.fixture(scope="module")
def portal(broker, tmp_path_factory) -> Iterator[Portal]:
    with started_portal(broker, tmp_path_factory.mktemp("gateway")) as portal:
        yield portal
