"""`python -m services.tracking serve|migrate|sweep|announce-statuses` - tracking's entry points (image, make run, CronJob)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from libs.common.clock import OFFICE_TZ
from libs.common.service_app import App, service_main
from services.tracking import jobs
from services.tracking.bootstrap import MIGRATIONS, ROW, bootstrap
from services.tracking.config import Settings


def sweep(app: App[Any, Any], args: argparse.Namespace) -> int:
    as_of = dt.datetime.fromisoformat(args.as_of) if args.as_of else None
    if as_of and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=OFFICE_TZ)
    overdue, urged, missed = jobs.run_sweeps(app.core, as_of)
    delivered = app.relay.drain()  # the CronJob's pod ends now: send what it wrote
    print(f"sweep: {overdue} overdue, {urged} urged, {missed} reports missed; {delivered} events sent")
    return 0


def announce_statuses(app: App[Any, Any], _args: argparse.Namespace) -> int:
    written = jobs.announce_statuses(app.core)
    delivered = app.relay.drain()
    print(f"announce-statuses: {written} item.status_changed written; {delivered} events sent")
    return 0


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", default="", help="sweep as if it were this time (ISO 8601)")


if __name__ == "__main__":
    sys.exit(service_main(ROW, Settings.from_env, bootstrap, MIGRATIONS, commands={
        "sweep": ("publish item.overdue and send urges once, then exit (the CronJob)", sweep),
        "announce-statuses": ("publish every moved item's current status once (after the upgrade to one status "
                              "vocabulary), then exit", announce_statuses)}, arguments=arguments))
