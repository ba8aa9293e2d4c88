"""The gateway's metrics: RED per route, login failures, audit writes.

Under gunicorn (several workers) PROMETHEUS_MULTIPROC_DIR collects every worker's numbers and the
master serves their sum on DUBAN_METRICS_PORT (gunicorn_conf.py); without a metrics port, the app
serves /metrics itself.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

HTTP_REQUESTS = Counter(
    "gateway_http_requests_total", "HTTP requests by route, method and status", ["route", "method", "status"]
)
HTTP_SECONDS = Histogram(
    "gateway_http_request_seconds", "HTTP request handling time by route", ["route", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LOGIN_FAILURES = Counter("gateway_login_failures_total", "failed logins by reason", ["reason"])
AUDIT_WRITES = Counter("gateway_audit_entries_total", "audit entries written", ["action"])
DEVICE_TOKENS = Counter("gateway_device_tokens_total", "tablet device tokens issued and revoked", ["event"])
DEVICE_REFUSALS = Counter("gateway_device_refusals_total", "field calls refused a device token, by reason", ["reason"])
# Labelled (values made on first use): under gunicorn an unlabelled counter opens its multiprocess file at import.
FIELD_BUNDLES = Counter("gateway_field_bundles_total", "days' bundles taken along (plan, units, items, leads), by how the "
                        "caller authenticated (device, session, token)", ["via"])


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
