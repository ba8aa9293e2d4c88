"""`python -m services.tracking serve|migrate|sweep` - tracking's entry points (image, make run, CronJob)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from libs.common import migrations
from libs.common.clock import OFFICE_TZ
from libs.common.config import settings_or_exit
from libs.common.db import make_engine
from libs.common.logs import configure_logging
from libs.common.runtime import serve_forever
from services.tracking import sweeps
from services.tracking.bootstrap import MIGRATIONS, bootstrap, start
from services.tracking.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.tracking")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate", "sweep"],
                        help="sweep: publish item.overdue and send urges once, then exit (the CronJob)")
    parser.add_argument("--as-of", default="", help="sweep as if it were this time (ISO 8601)")
    args = parser.parse_args(argv)
    settings = settings_or_exit("tracking", Settings.from_env)
    configure_logging("tracking", settings.log_level)
    if args.command == "migrate":
        migrations.upgrade(MIGRATIONS, make_engine(settings.database_url))
        return 0
    app = bootstrap(settings)
    if args.command == "sweep":
        as_of = dt.datetime.fromisoformat(args.as_of) if args.as_of else None
        if as_of and as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=OFFICE_TZ)
        overdue, urged, missed = sweeps.run_sweeps(app.tracking, as_of)
        delivered = sent = app.parts.relay.relay_once()  # the CronJob's pod ends now: send what it wrote
        while sent >= app.parts.relay.batch_size:
            sent = app.parts.relay.relay_once()
            delivered += sent
        print(f"sweep: {overdue} overdue, {urged} urged, {missed} reports missed; {delivered} events sent")
        return 0
    return serve_forever("tracking", settings.metrics_port, lambda runtime: start(app, runtime))


if __name__ == "__main__":
    sys.exit(main())
