"""Composition root of notification: settings to real adapters, the consumer of the ledger's, tracking's
and inspection's events, the embedded bulletin job, and the ledger client it registers problems with."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from duban.ledger.v1 import ledger_pb2_grpc
from duban.notification.v1 import notification_pb2_grpc
from libs.common import call_auth
from libs.common.calendar import load_calendar
from libs.common.clock import Clock
from libs.common.config import ConfigError
from libs.common.directory_client import DirectoryClient
from libs.common.kafka import Producer
from libs.common.service_app import App
from libs.common.service_table import service
from libs.common.storage import open_storage
from services.notification import consumer, jobs, template_check
from services.notification.config import Settings
from services.notification.context import Notification
from services.notification.grpc_api import WRITE_METHODS, NotificationServicer

ROW = service("notification")
LEDGER = service("ledger")
MIGRATIONS = Path(__file__).with_name("migrations")
NotificationApp = App[Settings, Notification]


def ledger_stub(app: NotificationApp) -> object:
    """The ledger, called as the notification service (its own key); built on first use."""
    address = app.settings.reconcile.source_addrs.get("ledger", "")
    if not address:
        raise ConfigError(f"{LEDGER.addr_env} is required: notification registers bulletins' problems as items")
    if app.parts.signer is None:
        raise ConfigError("DUBAN_CALL_SIGNING_KEY is required: notification calls the ledger as itself")
    return ledger_pb2_grpc.LedgerServiceStub(call_auth.signed_channel(address, app.parts.signer, "ledger"))


def bootstrap(settings: Settings, clock: Clock | None = None, producer: Producer | None = None) -> NotificationApp:
    templates = template_check.load(Path(settings.template_dir))  # a broken template refuses the start, first
    app: NotificationApp = App.build(ROW, settings, MIGRATIONS, clock, producer)
    ledger = functools.cache(lambda: ledger_stub(app))
    app.core = notification = Notification(
        uow=app.uow,
        clock=app.clock,
        calendar=load_calendar(settings.calendar_dir or None),
        storage=open_storage(settings.storage),
        ledger=ledger,
        light=settings.light,
        office_name=settings.office_name,
        org_name=settings.org_name,
        document_no_pattern=settings.document_no_pattern,
        thresholds=settings.thresholds,
        bulletins_since=dt.date.fromisoformat(settings.bulletins_since),
        clearance_from=settings.clearance_from,
        ledger_timeout_seconds=settings.ledger_timeout_seconds,
        directory=DirectoryClient(ledger, timeout=settings.ledger_timeout_seconds),
        templates=templates,
    )
    app.serve(notification_pb2_grpc.add_NotificationServiceServicer_to_server, NotificationServicer(notification),
              WRITE_METHODS)
    app.consume(consumer.GROUP, consumer.handler(notification))
    if settings.job_interval_seconds > 0:
        app.every("bulletin-job", settings.job_interval_seconds, lambda: jobs.run_and_log(notification))
    return app
