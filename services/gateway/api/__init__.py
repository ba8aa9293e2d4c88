"""The public REST API, /api/v1: JSON in and out, problem+json errors, keyset pagination."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from services.gateway.api import (  # noqa: E402,F401
    auth_api,
    bulletins,
    directory,
    field,
    inspection,
    items,
    ledger_io,
    messages,
    scores,
    todo_api,
    tracking,
    users,
)
