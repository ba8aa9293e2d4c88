"""`python -m services.ledger serve|migrate` - the ledger's process entry points (image and make run)."""

from __future__ import annotations

import sys

from libs.common.service_app import service_main
from services.ledger.bootstrap import MIGRATIONS, ROW, bootstrap
from services.ledger.config import Settings

if __name__ == "__main__":
    sys.exit(service_main(ROW, Settings.from_env, bootstrap, MIGRATIONS))
