"""Notification's business metrics (shared gRPC/outbox/consumer metrics live in libs/common/metrics.py)."""

from prometheus_client import Counter, Gauge, Histogram

BULLETINS = Counter("notification_bulletin_moves_total", "bulletins drafted, edited, submitted, returned, approved, "
                    "published", ["kind", "to"])
REFUSED = Counter("notification_refusals_total", "workflow acts refused (other bytes approved, publish unapproved)",
                  ["why"])
RENDER_SECONDS = Histogram("notification_render_seconds", "time to make a bulletin's file", ["format"],
                           buckets=(0.1, 0.5, 1, 2, 5, 10, 20, 60))
RECTIFICATION_ITEMS = Counter("notification_rectification_items_total",
                              "problems of published bulletins registered as ledger items (source 7)", ["outcome"])
JOB_RUNS = Counter("notification_job_drafts_total", "bulletins drafted by the scheduled job", ["kind"])
AWAITING = Gauge("notification_bulletins_awaiting_approval", "bulletins submitted to the principal leader, "
                 "at the last job run")
MESSAGES = Counter("notification_messages_created_total", "reminders put in an inbox (消息), one per recipient, "
                   "cause and day", ["cause"])
INBOX_READS = Counter("notification_inbox_reads_total", "inbox messages read by their recipient (the first reading)",
                      ["cause"])
