"""Idempotency keys from HTTP to the services: the API's `Idempotency-Key` header, the pages' hidden
per-form key. The services keep the keys (libs/common/idempotency.py); the gateway only passes them on."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import g, request
from markupsafe import Markup, escape

from libs.common.errors import IdempotencyKeyInFlight
from libs.common.idempotency import KEY_FIELD, check_key
from services.gateway.auth import csrf_token
from services.gateway.clients import ServiceClient

HEADER = "Idempotency-Key"
# The hidden fields form_keys() adds to every writing form: the page's, not the write's.
FORM_ONLY = frozenset({"csrf_token", KEY_FIELD})
REPLAYED_HEADER = "Idempotent-Replayed"
# A double-clicked form's second request meets the first still running; the page waits this long for
# the first to finish (then answers as it did), rather than showing a conflict to someone who clicked twice.
PAGE_WAITS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)


def request_key() -> str:
    """The key of this request ("" for none): the header, or on the pages the form's hidden field."""
    key = request.headers.get(HEADER, "")
    if not key and not request.path.startswith("/api/"):
        key = request.form.get(KEY_FIELD, "")
    return check_key(key)


def write(client: ServiceClient, method: str, message: Any, timeout: float | None = None) -> Any:
    """A write through `client` carrying this request's key. A replayed answer is marked for the response
    header; on the pages a duplicate of a call in flight waits for the first one's answer."""
    key = request_key()
    if not key:
        return client.call(method, message, timeout)
    for pause in () if request.path.startswith("/api/") else PAGE_WAITS:
        try:
            return _send(client, method, message, key, timeout)
        except IdempotencyKeyInFlight:
            time.sleep(pause)
    return _send(client, method, message, key, timeout)


def _send(client: ServiceClient, method: str, message: Any, key: str, timeout: float | None) -> Any:
    response, replayed = client.call_keyed(method, message, key, timeout)
    g.idempotent_replayed = g.get("idempotent_replayed", False) or replayed
    return response


def replayed() -> bool:
    """Whether a write of this request was answered from its key (the API then says 200, not 201)."""
    return bool(g.get("idempotent_replayed"))


def form_keys() -> Markup:
    """The hidden fields every writing form carries: the CSRF token, and a key made when the page is
    rendered, so the same form sent twice (a double click, a resend) acts once."""
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">'
                  f'<input type="hidden" name="{KEY_FIELD}" value="{uuid.uuid4()}">')
