"""The ledger's business metrics (shared gRPC/outbox metrics live in libs/common/metrics.py)."""

from prometheus_client import Counter, Histogram

ITEMS_REGISTERED = Counter(
    "ledger_items_registered_total", "items registered, by source and category", ["source", "category"]
)
PROVISIONAL_DUE_DATES = Counter(
    "ledger_provisional_due_dates_total", "due dates computed without an official calendar table"
)
IMPORT_ROWS = Counter(
    "ledger_import_rows_total", "rows of import jobs, by outcome (created | duplicate | error)", ["outcome"]
)
IMPORT_JOBS = Counter(
    "ledger_import_jobs_total", "import jobs ended, by outcome (validated | imported | rejected | failed)", ["outcome"]
)
IMPORT_JOB_SECONDS = Histogram(
    "ledger_import_job_seconds", "time from an import's upload to its end, by outcome", ["outcome"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
EXPORT_ROWS = Counter("ledger_export_rows_total", "rows written to ledger exports", ["form"])
EXPORT_SECONDS = Histogram(
    "ledger_export_seconds", "time to build a ledger export", ["form"], buckets=(0.1, 0.5, 1, 2.5, 5, 10, 20, 40)
)
FOLLOW_UPS = Counter(
    "ledger_follow_up_items_total",
    "leaders' new instructions on completion reports, by outcome (registered | not_registered)", ["outcome"],
)
