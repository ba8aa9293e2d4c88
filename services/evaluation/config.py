"""Evaluation's settings; every environment variable it reads is named here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.common.config import ServiceSettings, env_str, service_basics


@dataclass(frozen=True)
class Settings(ServiceSettings):
    office_name: str  # who the workbook names as the office (督查室)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        return cls(
            **service_basics("evaluation", 50055, 9105, env),  # type: ignore[arg-type]
            office_name=env_str("DUBAN_OFFICE_NAME", "区委区政府督查室", env),
        )
