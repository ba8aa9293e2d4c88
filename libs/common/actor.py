"""Who is acting: passed from the gateway with every call and recorded with every change."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: str = ""
    name: str = ""
    role: str = "system"
    unit_id: str = ""

    @classmethod
    def from_proto(cls, message) -> Actor:  # type: ignore[no-untyped-def]
        if message is None or not message.ByteSize():
            return cls()
        return cls(message.user_id, message.name, message.role or "system", message.unit_id)


SYSTEM = Actor(user_id="system", name="系统", role="system")
