"""The Chinese pages: server-rendered, light JavaScript, usable on a laptop and a tablet."""

from flask import Blueprint

bp = Blueprint("pages", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/static")

from services.gateway.pages import (  # noqa: E402,F401
    admin,
    assessment,
    bulletins,
    field,
    inspection_escalations,
    inspection_findings,
    inspection_plans,
    item_page,
    ledger_pages,
    login,
    messages,
    tracking_pages,
)
