"""`python -m services.inspection serve|migrate|sweep` - inspection's entry points (image, make run, CronJob)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from libs.common.clock import OFFICE_TZ
from libs.common.service_app import App, service_main
from services.inspection import jobs
from services.inspection.bootstrap import MIGRATIONS, ROW, bootstrap
from services.inspection.config import Settings


def sweep(app: App[Any, Any], args: argparse.Namespace) -> int:
    as_of = dt.datetime.fromisoformat(args.as_of) if args.as_of else None
    if as_of and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=OFFICE_TZ)
    overdue = jobs.run_sweeps(app.core, as_of)
    delivered = app.relay.drain()  # the CronJob's pod ends now: send what it wrote
    print(f"sweep: {overdue} rectifications overdue; {delivered} events sent")
    return 0


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", default="", help="sweep as if it were this time (ISO 8601)")


if __name__ == "__main__":
    sys.exit(service_main(ROW, Settings.from_env, bootstrap, MIGRATIONS, commands={
        "sweep": ("publish rectification.overdue once for each rectification past its day, then exit (the CronJob)",
                  sweep)}, arguments=arguments))
