"""Evaluation's business metrics (the runtime's - consumer lag, outbox, gRPC - come from libs/common)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_ARCHIVED = Counter("evaluation_events_archived_total", "Events archived, by type", ["type"])
ENTRIES = Counter("evaluation_entries_total", "Score entries written, by rule and state (counted | pending | "
                  "rejected)", ["rule", "state"])
REPLAY_SECONDS = Histogram("evaluation_replay_seconds", "Duration of a year's replay from the archive",
                           buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300))
REPLAY_EVENTS = Counter("evaluation_replay_events_total", "Archived events read by replays")
ADJUSTMENTS_PENDING = Gauge("evaluation_adjustments_pending", "Adjustments of frozen years awaiting a decision")
UNSCORABLE = Counter("evaluation_events_unscorable_total", "Archived events whose data could not be read for scoring, "
                     "by type (logged with their id)", ["type"])
