"""The Alembic environment of every service: its `migrations/versions/` are the only per-service part.

Run from code (libs.common.migrations.upgrade, with the caller's connection) or from the command line
(`python -m libs.common.migrations <service> ...`); either way the service is named in the config.
"""

from libs.common.migrations import run_env

run_env()
