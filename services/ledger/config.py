"""The ledger's settings; every environment variable it reads is named here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.common.config import ConfigError, ServiceSettings, env_int, env_str, service_basics
from libs.common.policy import Policy
from services.ledger.domain import DuePolicy, check_number_pattern


@dataclass(frozen=True)
class ImportLimits:
    """Import jobs (services/ledger/importing.py): the bounds a file must stay within before it is parsed,
    and how a job runs."""

    # The XLSX's members inflated, in total: openpyxl holds the shared strings in memory (the file:
    # 348 MB of them, 835 MB of ledger), so this is what bounds the ledger's memory, checked before parsing.
    max_inflated_bytes: int = 64 * 1024 * 1024
    max_rows: int = 20_000  # data rows of one file (the header lines not counted)
    retention_hours: int = 168  # a finished job (its report) is kept this long, then pruned
    # A running job's claim; renewed with every progress step, so a job whose process died is taken over
    # (resumed) by the next worker this long after its last step.
    lease_seconds: int = 60
    max_attempts: int = 3  # a job interrupted this many times fails with that reason instead of resuming
    chunk_rows: int = 200  # rows written per transaction (short turns on SQLite's one writer)


@dataclass(frozen=True)
class Settings(ServiceSettings):
    item_no_pattern: str
    due_policy: DuePolicy
    import_max_bytes: int
    yellow_within: int
    imports: ImportLimits

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        try:
            pattern = check_number_pattern(env_str("DUBAN_ITEM_NO_PATTERN", "{year}-{seq:04d}", env))
        except ValueError as exc:
            raise ConfigError(f"DUBAN_ITEM_NO_PATTERN: {exc}") from None
        policy = Policy.from_env(env)
        return cls(
            **service_basics("ledger", 50051, 9101, env),  # type: ignore[arg-type]
            item_no_pattern=pattern,
            due_policy=DuePolicy(general_days=policy.general_due_days, complex_days=policy.complex_due_days),
            import_max_bytes=env_int("DUBAN_IMPORT_MAX_BYTES", 10 * 1024 * 1024, env, minimum=1024),
            yellow_within=policy.yellow_within,
            imports=ImportLimits(
                max_inflated_bytes=env_int("DUBAN_IMPORT_MAX_INFLATED_BYTES", 64 * 1024 * 1024, env, minimum=64 * 1024),
                max_rows=env_int("DUBAN_IMPORT_MAX_ROWS", 20_000, env, minimum=1),
                retention_hours=env_int("DUBAN_IMPORT_RETENTION_HOURS", 168, env, minimum=1),
                lease_seconds=env_int("DUBAN_IMPORT_LEASE_SECONDS", 60, env, minimum=1),
                max_attempts=env_int("DUBAN_IMPORT_MAX_ATTEMPTS", 3, env, minimum=1),
                chunk_rows=env_int("DUBAN_IMPORT_CHUNK_ROWS", 200, env, minimum=1),
            ),
        )
