"""The ledger's settings; every environment variable it reads is named here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.common.config import ConfigError, ServiceSettings, env_int, env_str, service_basics
from libs.common.policy import Policy
from services.ledger.domain import DuePolicy, check_number_pattern


@dataclass(frozen=True)
class Settings(ServiceSettings):
    item_no_pattern: str
    due_policy: DuePolicy
    import_max_bytes: int
    yellow_within: int

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
        )
