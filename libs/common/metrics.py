"""Metrics of the shared runtime (gRPC, outbox, consumers), labelled by service; served on /metrics.

Each service keeps its business metrics in its own metrics.py, named <svc>_<noun>_<unit>.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

GRPC_HANDLED = Counter(
    "duban_grpc_server_handled_total", "gRPC calls completed, by method and status code",
    ["service", "method", "code"],
)
GRPC_SECONDS = Histogram(
    "duban_grpc_server_handling_seconds", "gRPC call handling time", ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
GRPC_NO_DEADLINE = Counter(
    "duban_grpc_server_calls_without_deadline_total", "calls that arrived without a client deadline",
    ["service", "method"],
)
OUTBOX_BACKLOG = Gauge("duban_outbox_backlog_events", "outbox rows not yet acknowledged by Kafka", ["service"])
OUTBOX_PUBLISHED = Counter("duban_outbox_published_total", "outbox rows delivered to Kafka", ["service"])
OUTBOX_FAILURES = Counter("duban_outbox_failures_total", "outbox deliveries that failed (retried)", ["service"])
CONSUMED = Counter(
    "duban_consumer_records_total", "records handled by a consumer, by outcome",
    ["consumer", "outcome"],  # outcome: applied | duplicate | dead_lettered | retried | skipped (test stacks: older than the stack)
)
IDEMPOTENT_REPLAYS = Counter(
    "duban_idempotent_replays_total", "keyed write calls answered from their idempotency key, by outcome",
    # outcome: replayed (the first response again) | mismatch (same key, other body) | in_flight (the first
    # is still running) | response_lost (applied, but the service stopped before keeping its answer) | rerun
    # (a retry of a body with its own key: the effect ran again and answered with what it had made)
    ["service", "method", "outcome"],
)
OUTBOX_PRUNED = Counter("duban_outbox_pruned_total", "sent outbox rows deleted after their retention", ["service"])
RECONCILE_GAP = Counter(
    "duban_reconcile_gap_events_total",
    "events a source sent that this service had not applied when its reconciler checked (then applied)",
    ["service", "source"],
)
RECONCILE_FAILURES = Counter(
    "duban_reconcile_failures_total", "reconciliation rounds that could not finish (source down, handler error)",
    ["service", "source"],
)
RECONCILE_EXPIRED = Counter(
    "duban_reconcile_expired_total",
    "times a reconciler found the source had pruned events it had not checked (they cannot be re-fetched)",
    ["service", "source"],
)
RECONCILE_CHECKED_SEQ = Gauge("duban_reconcile_checked_seq", "the source seq up to which every event is applied",
                              ["service", "source"])
CALLS_REFUSED = Counter(
    "duban_grpc_calls_refused_total", "gRPC calls refused for a missing or invalid caller token, by reason",
    ["service", "reason"],  # reason: missing | invalid | expired | unknown_key | wrong_issuer | wrong_audience | ...
)
CONSUMER_LAG = Gauge("duban_consumer_lag_records", "records behind the partition end", ["consumer", "topic"])


def serve_metrics(port: int, host: str = "0.0.0.0") -> None:
    """Expose the default registry on host:port (a pod: every interface; the embedded stack: loopback);
    port 0 disables it."""
    if port:
        start_http_server(port, addr=host)
