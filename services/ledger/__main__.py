"""`python -m services.ledger serve|migrate` - the ledger's process entry points (image and make run)."""

from __future__ import annotations

import argparse
import sys

from libs.common import metrics, migrations
from libs.common.config import settings_or_exit
from libs.common.db import make_engine
from libs.common.logs import configure_logging
from libs.common.runtime import Runtime
from services.ledger.bootstrap import MIGRATIONS, bootstrap, start
from services.ledger.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.ledger")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    settings = settings_or_exit("ledger", Settings.from_env)
    configure_logging("ledger", settings.log_level)
    if args.command == "migrate":
        migrations.upgrade(MIGRATIONS, make_engine(settings.database_url))
        return 0
    runtime = Runtime("ledger")
    runtime.install_signal_handlers()
    app = bootstrap(settings)
    metrics.serve_metrics(settings.metrics_port)
    start(app, runtime)
    runtime.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
