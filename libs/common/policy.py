"""The seed's numbers as settings (Art. 6), read the same way by every service and by the gateway's
pages and documents, so no page repeats a number the district may change: 7 / 10 working days to
finish a general / complex item, the notice within 2 working days of registration, yellow at 2
working days left."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.common.config import env_int


@dataclass(frozen=True)
class Policy:
    general_due_days: int = 7
    complex_due_days: int = 10
    notice_working_days: int = 2
    yellow_within: int = 2

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Policy:
        return cls(
            general_due_days=env_int("DUBAN_GENERAL_DUE_DAYS", 7, env, minimum=1),
            complex_due_days=env_int("DUBAN_COMPLEX_DUE_DAYS", 10, env, minimum=1),
            notice_working_days=env_int("DUBAN_NOTICE_WORKING_DAYS", 2, env, minimum=1),
            yellow_within=env_int("DUBAN_LIGHT_YELLOW_WITHIN", 2, env),
        )

    def due_days(self, category: str) -> int:
        return self.complex_due_days if category == "complex" else self.general_due_days
