"""A unit and a person of the ledger's directory as every reader holds them in memory: the ledger's own
exact copy (services/ledger/repository.py) and other services' copies (libs/common/directory_client.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UnitEntry:
    id: str
    name: str
    kind: str
    active: bool
    head_person_id: str = ""  # 单位负责人


@dataclass(frozen=True)
class PersonEntry:
    id: str
    name: str
    unit_id: str
    role: str  # the ledger's: leader | staff | supervisor
    title: str
    active: bool
    unit_name: str
    # How reminders reach them ("" unknown)
    mobile: str = ""
    email: str = ""
    wecom_user_id: str = ""
    dingtalk_user_id: str = ""
