"""`python -m services.ledger serve|migrate|recompute-deadlines` - the ledger's entry points (image,
make run, the admin after installing a calendar year)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from libs.common.actor import SYSTEM
from libs.common.service_app import App, service_main
from services.ledger import jobs
from services.ledger.bootstrap import MIGRATIONS, ROW, bootstrap
from services.ledger.config import Settings


def recompute_deadlines(app: App[Any, Any], _args: argparse.Namespace) -> int:
    updated, still = jobs.recompute_provisional(app.core, SYSTEM)
    delivered = app.relay.drain()  # the job's process ends now: send what it wrote
    print(f"recompute-deadlines: {updated} deadlines now official, {still} still provisional; {delivered} events sent")
    return 0


if __name__ == "__main__":
    sys.exit(service_main(ROW, Settings.from_env, bootstrap, MIGRATIONS, commands={
        "recompute-deadlines": ("give provisional deadlines their official value once the year's calendar is "
                                "installed, then exit", recompute_deadlines)}))
