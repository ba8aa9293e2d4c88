"""Tracking's business metrics (shared gRPC/outbox/consumer metrics live in libs/common/metrics.py)."""

from prometheus_client import Counter, Gauge, Histogram

ASSIGNMENTS_CREATED = Counter("tracking_assignments_created_total", "assignments opened from item.registered")
NOTICES_ISSUED = Counter("tracking_notices_issued_total", "supervision notices issued", ["timeliness"])
REPORTS_FILED = Counter("tracking_reports_filed_total", "progress reports filed", ["period"])
EXTENSIONS = Counter("tracking_extensions_total", "extension requests and decisions", ["outcome"])
URGES = Counter("tracking_urges_total", "chasing messages sent", ["reason"])
OVERDUE_PUBLISHED = Counter("tracking_overdue_events_total", "item.overdue events published")
CLOSED = Counter("tracking_items_closed_total", "items closed", ["within_time"])
SWEEP_SECONDS = Histogram("tracking_sweep_seconds", "time of one sweep run", buckets=(0.05, 0.1, 0.5, 1, 2, 5, 10, 30))
OPEN_OVERDUE = Gauge("tracking_open_overdue_items", "open items past their deadline at the last sweep")
OPEN_BY_LIGHT = Gauge("tracking_open_items_by_light", "open items per light at the last sweep (the board's totals)",
                      ["light"])
