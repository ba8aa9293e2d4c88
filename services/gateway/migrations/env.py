"""Alembic environment of the gateway service (the shared body is libs.common.migrations.run_env)."""

from libs.common.migrations import run_env
from services.gateway.migrations_target import target_metadata

run_env(target_metadata)
