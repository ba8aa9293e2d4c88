"""How the gateway reaches the services: each service's client (named in the service table), the actor
every call carries, and the items the current user may see. Pages and the API both use this module;
neither imports the other for it."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common.actor import Actor
from libs.common.call_auth import actor_in_request
from libs.common.errors import NotFound
from services.gateway.clients import ServiceClient
from services.gateway.scope import Principal, can_see


def service(name: str) -> ServiceClient:
    """The client of a service of libs/common/service_table.py (one channel per process)."""
    client: ServiceClient = current_app.extensions[name]
    return client


def ledger() -> ServiceClient:
    return service("ledger")


def tracking() -> ServiceClient:
    return service("tracking")


def inspection() -> ServiceClient:
    return service("inspection")


def notification() -> ServiceClient:
    return service("notification")


def evaluation() -> ServiceClient:
    return service("evaluation")


def directory() -> tuple[list[ledger_pb2.Unit], list[ledger_pb2.Person]]:
    """The ledger's units and people, for a form's choices (the register form, a plan's team and stops)."""
    units = ledger().call("ListUnits", ledger_pb2.ListUnitsRequest()).units
    people = ledger().call("ListPeople", ledger_pb2.ListPeopleRequest()).people
    return list(units), list(people)


def actor(user: Principal) -> common_pb2.Actor:
    """Who acts, as every service call names them."""
    return common_pb2.Actor(user_id=str(user.user_id), name=user.display_name, role=user.role, unit_id=user.unit_id,
                            person_id=user.person_id, extra_roles=list(user.extra_roles))


def current_actor() -> common_pb2.Actor:
    return actor(g.user)


def acting(request: Any) -> Actor | None:
    """Whom the token of a service call names: the person a write's `actor` field names, else the
    signed-in user (a read); outside a user's request the gateway acts as itself."""
    named = actor_in_request(request)
    if named is not None:
        return named
    if has_request_context() and getattr(g, "user", None) is not None:
        return Actor.from_proto(actor(g.user))
    return None


def visible_item(user: Principal, item_id: str) -> ledger_pb2.Item:
    """The item if the user may see it; otherwise exactly the answer a missing item gets."""
    item = ledger().call("GetItem", ledger_pb2.GetItemRequest(id=item_id)).item
    if not can_see(user, item):
        raise NotFound(f"item {item_id} not found", {"id": "督查事项不存在"})
    return item


def visible(item_id: str) -> str:
    """Scoping is decided once, by the ledger's item: out of scope is 404 for tracking too."""
    return visible_item(g.user, item_id).id
