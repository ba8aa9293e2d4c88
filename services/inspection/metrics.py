"""Inspection's business metrics (shared gRPC/outbox/consumer metrics live in libs/common/metrics.py)."""

from prometheus_client import Counter, Gauge, Histogram

FINDINGS = Counter("inspection_findings_recorded_total", "findings recorded", ["severity"])
DUPLICATES_REFUSED = Counter("inspection_duplicate_submissions_total",
                             "findings sent again under a client key already recorded (answered with the first)")
CLIENT_KEY_REPLAYS = Counter("inspection_client_key_replays_total",
                             "visits and 回头看 sent again under a device key already recorded (answered with the first)",
                             ["kind"])
PHOTO_BYTES = Counter("inspection_photo_bytes_total", "bytes of photos stored (copies and thumbnails)")
PHOTOS_REJECTED = Counter("inspection_photos_rejected_total", "uploaded photos refused", ["reason"])
RECTIFICATIONS = Counter("inspection_rectification_events_total", "rectification orders, reports and verdicts",
                         ["what"])
OPEN_RECTIFICATIONS = Gauge("inspection_open_rectifications", "rectifications not yet verified, at the last sweep",
                            ["state"])
ESCALATIONS = Counter("inspection_escalations_total", "major problems reported to leaders", ["what"])
PLANS = Counter("inspection_plan_moves_total", "plans drafted, approved, started, finished", ["to"])
SWEEP_SECONDS = Histogram("inspection_sweep_seconds", "time of one sweep run", buckets=(0.05, 0.1, 0.5, 1, 5, 30))
