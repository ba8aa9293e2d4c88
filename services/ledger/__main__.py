"""`python -m services.ledger serve|migrate` - the ledger's process entry points (image and make run)."""

from __future__ import annotations

import argparse
import sys

from libs.common import migrations
from libs.common.config import settings_or_exit
from libs.common.db import make_engine
from libs.common.logs import configure_logging
from libs.common.runtime import serve_forever
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
    app = bootstrap(settings)
    return serve_forever("ledger", settings.metrics_port, lambda runtime: start(app, runtime))


if __name__ == "__main__":
    sys.exit(main())
