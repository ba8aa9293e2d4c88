"""Items: register, read, change and list the ledger, always inside the caller's scope."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, g, request, url_for
from werkzeug.sansio.response import Response as SansIOResponse

from duban.ledger.v1 import ledger_pb2
from services.gateway.api import bp
from services.gateway.auth import require
from services.gateway.calls import actor, ledger, visible_item
from services.gateway.idempotency import replayed, write
from services.gateway.present import Reader, json_body, to_json
from services.gateway.scope import Principal, scoped_filter

REGISTER_FIELDS = frozenset({
    "title", "content", "source", "category", "key_tracking", "lead_unit_id", "lead_duty", "co_units",
    "responsible_leader_id", "responsible_person_id", "supervisor_id", "registered_on", "due_date",
    "due_date_reason", "remarks", "assessment_year",
})
PATCH_TEXT = ("title", "content", "source", "category", "responsible_leader_id", "responsible_person_id",
              "supervisor_id", "due_date", "supervision_status", "remarks", "lead_unit_id")
# 考核年度 as the gateway takes it: a number of at most four digits (2000-2100 and the frozen years are the
# ledger's rule, in its words); in a form, empty is "not given".
YEAR_MAX = 9999
FILTER_PARAMS = ("unit_id", "source", "category", "status", "due_from", "due_to", "q", "light")


def item_filter(args: Mapping[str, str], reader: Reader | None = None) -> ledger_pb2.ItemFilter:
    """The ledger filter from query parameters; with `reader`, errors are collected there, not raised."""
    own = reader is None
    reader = reader or Reader(args)
    f = ledger_pb2.ItemFilter(
        unit_id=reader.text("unit_id", 40), source=reader.text("source", 40), category=reader.text("category", 10),
        status=reader.text("status", 20), due_from=reader.text("due_from", 10), due_to=reader.text("due_to", 10),
        text=reader.text("q", 100).strip(), light=reader.text("light", 10),
    )
    key_tracking = reader.flag("key_tracking")
    if key_tracking is not None:
        f.key_tracking = key_tracking
    if own:
        reader.done()
    return f


def list_page(user: Principal, args: Mapping[str, str]) -> ledger_pb2.ListItemsResponse:
    reader = Reader(args)
    size = reader.integer("page_size", 50, 1, 500)
    token = reader.text("page_token", 500)
    include_total = reader.flag("include_total")
    wanted = item_filter(args, reader)
    reader.done()
    request_ = ledger_pb2.ListItemsRequest(
        filter=scoped_filter(user, wanted), page_size=size, page_token=token,
        include_total=bool(include_total),
    )
    return ledger().call("ListItems", request_)


@bp.get("/items")
@require("items.read")
def list_items() -> dict[str, Any]:
    page = list_page(g.user, request.args)
    body: dict[str, Any] = {"items": [to_json(i) for i in page.items], "next_page_token": page.next_page_token}
    if request.args.get("include_total") in ("true", "1"):
        body["total_size"] = page.total_size
    return body


@bp.post("/items")
@require("items.register")
def register_item() -> Response:
    reply = write(ledger(), "RegisterItem", register_request(json_body()))
    g.audit_target = reply.item.item_no
    response = Response(status=200 if replayed() else 201)
    response.set_data(current_app.json.dumps(to_json(reply.item)))
    response.mimetype = "application/json"
    response.headers["Location"] = url_for("api.get_item", item_id=reply.item.id)
    return response


def register_request(source: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> ledger_pb2.RegisterItemRequest:
    """RegisterItem's request from a JSON body or the registration form (turned into the same fields),
    every field error at once: the API and the page check a registration the same way."""
    reader = Reader(source)
    reader.unknown(set(REGISTER_FIELDS | ignore))
    co_units = reader.pairs("co_units") or []
    req = ledger_pb2.RegisterItemRequest(
        title=reader.text("title", 200), content=reader.text("content"), source=reader.text("source", 40),
        category=reader.text("category", 10), key_tracking=bool(reader.flag("key_tracking")),
        lead_unit_id=reader.text("lead_unit_id", 40), lead_duty=reader.text("lead_duty"),
        co_units=[ledger_pb2.CoUnit(unit_id=u, duty=d) for u, d in co_units],
        responsible_leader_id=reader.text("responsible_leader_id", 40),
        responsible_person_id=reader.text("responsible_person_id", 40),
        supervisor_id=reader.text("supervisor_id", 40), registered_on=reader.text("registered_on", 10),
        due_date=reader.text("due_date", 10), due_date_reason=reader.text("due_date_reason", 500),
        remarks=reader.text("remarks"), assessment_year=assessment_year(reader) or 0, actor=actor(g.user),
    )
    reader.done()
    return req


def assessment_year(reader: Reader) -> int | None:
    """The `assessment_year` field (None when absent, or empty in a form)."""
    if "assessment_year" not in reader.source or (not reader.typed and reader.source["assessment_year"] in (None, "")):
        return None
    return reader.integer("assessment_year", 0, 0, YEAR_MAX)


def assessment_year_patch(source: Mapping[str, Any], ignore: frozenset[str] = frozenset(),
                          ) -> tuple[ledger_pb2.ItemPatch, int, str]:
    """The page's 考核年度 form as UpdateItem's (patch, expected version, reason): the year is required."""
    reader = Reader(source)
    reader.unknown({"assessment_year", "expected_version", "reason"} | ignore)
    year = assessment_year(reader)
    if year is None:
        reader.errors["assessment_year"] = "请填写考核年度"
    version = reader.integer("expected_version", 0, 0, 1_000_000)
    reason = reader.text("reason", 500)
    reader.done()
    return ledger_pb2.ItemPatch(assessment_year=year), version, reason


@bp.get("/items/<item_id>")
@require("items.read")
def get_item(item_id: str) -> SansIOResponse:
    item = visible_item(g.user, item_id)
    response = current_app.json.response(to_json(item))
    response.headers["ETag"] = f'"{item.version}"'
    return response


@bp.patch("/items/<item_id>")
@require("items.update")
def update_item(item_id: str) -> dict[str, Any]:
    visible_item(g.user, item_id)
    body = json_body()
    reader = Reader(body)
    reader.unknown(set(PATCH_TEXT) | {"key_tracking", "co_units", "expected_version", "reason", "assessment_year"})
    patch = ledger_pb2.ItemPatch()
    for name in PATCH_TEXT:
        if name in body:
            setattr(patch, name, reader.text(name, 200 if name == "title" else 4000))
    if "key_tracking" in body:
        patch.key_tracking = bool(reader.flag("key_tracking"))
    year = assessment_year(reader)
    if year is not None:
        patch.assessment_year = year
    co_units = reader.pairs("co_units")
    if co_units is not None:
        patch.replace_co_units = True
        patch.co_units.extend(ledger_pb2.CoUnit(unit_id=u, duty=d) for u, d in co_units)
    if_match = request.headers.get("If-Match", "").strip('"')
    # ASCII digits only ("²".isdigit() holds, int() refuses it), and few enough for the request's int32.
    version = reader.integer("expected_version", int(if_match) if re.fullmatch("[0-9]{1,9}", if_match) else 0,
                             0, 1_000_000)
    reason = reader.text("reason", 500)
    reader.done()
    item = write(ledger(), "UpdateItem", ledger_pb2.UpdateItemRequest(
        id=item_id, expected_version=version, patch=patch, reason=reason, actor=actor(g.user))).item
    g.audit_target = item.item_no
    return to_json(item)


@bp.get("/items/<item_id>/history")
@require("items.read")
def item_history(item_id: str) -> dict[str, Any]:
    item = visible_item(g.user, item_id)
    changes = ledger().call("GetItemHistory", ledger_pb2.GetItemHistoryRequest(id=item.id)).changes
    return {"changes": [to_json(c) for c in changes]}
