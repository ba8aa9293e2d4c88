"""Who is acting: passed from the gateway with every call and recorded with every change."""

from __future__ import annotations

import json
from dataclasses import dataclass

from duban.common.v1 import common_pb2


@dataclass(frozen=True)
class Actor:
    user_id: str = ""
    name: str = ""
    role: str = "system"
    unit_id: str = ""
    person_id: str = ""
    extra_roles: tuple[str, ...] = ()

    @property
    def roles(self) -> tuple[str, ...]:
        """Every role this actor holds (libs.common.permissions decides what they allow)."""
        return (self.role, *self.extra_roles)

    @classmethod
    def from_proto(cls, message: common_pb2.Actor | None) -> Actor:
        if message is None or not message.ByteSize():
            return cls()
        return cls(message.user_id, message.name, message.role or "system", message.unit_id, message.person_id,
                   tuple(message.extra_roles))

    def to_proto(self) -> common_pb2.Actor:
        return common_pb2.Actor(user_id=self.user_id, name=self.name, role=self.role, unit_id=self.unit_id,
                                person_id=self.person_id, extra_roles=list(self.extra_roles))

    def snapshot(self) -> str:
        """A frozen record of who acted (JSON), kept with the act: later renames don't rewrite history."""
        return json.dumps({"id": self.person_id or self.user_id, "name": self.name, "unit_id": self.unit_id,
                           "role": self.role}, ensure_ascii=False)


SYSTEM = Actor(user_id="system", name="系统", role="system")


def snapshot_proto(text: str) -> common_pb2.PersonSnapshot:
    """A stored Actor.snapshot() as the API shows it."""
    if not text:
        return common_pb2.PersonSnapshot()
    data = json.loads(text)
    return common_pb2.PersonSnapshot(id=data.get("id", ""), name=data.get("name", ""), unit_id=data.get("unit_id", ""))


def snapshot_name(text: str) -> str:
    return json.loads(text).get("name", "") if text else ""
