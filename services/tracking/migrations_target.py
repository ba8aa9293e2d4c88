"""What tracking's migrations must produce: its own tables plus the shared runtime tables (outbox, idempotency keys)."""

from libs.common.idempotency import idempotency_metadata
from libs.common.outbox import runtime_metadata
from services.tracking.orm import Base

target_metadata = [Base.metadata, runtime_metadata, idempotency_metadata]
