"""The inspection pages' forms as the API's fields: rows of repeated inputs (a plan's stops, team and
leads; a visit's item checks) become the lists services/gateway/inspection_writes.py reads, so a page and
an API client are checked by the same builder. Empty rows (the spare ones a form offers) are left out."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

Form = MultiDict[str, str]  # a request's form, or a test's

def rows(form: Form, prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    """`prefix_name` inputs repeated once per row, zipped into rows; a row whose fields are all empty is dropped."""
    columns = [form.getlist(f"{prefix}_{name}") for name in names]
    count = max((len(c) for c in columns), default=0)
    found = []
    for i in range(count):
        row = {name: (column[i].strip() if i < len(column) else "") for name, column in zip(names, columns, strict=True)}
        if any(row.values()):
            found.append(row)
    return found


def draft_fields(form: Form) -> dict[str, Any]:
    """督查工作方案 from its form (new and edit): the draft, and a change's reason and version."""
    fields: dict[str, Any] = {name: form.get(name, "") for name in (
        "title", "kind", "starts_on", "ends_on", "leader_id", "preparation", "training")}
    fields["item_ids"] = [i for i in form.getlist("item_ids") if i]
    fields["stops"] = [r for r in rows(form, "stop", ("unit_id", "place", "scheduled_on")) if r["unit_id"]]
    fields["members"] = [r for r in rows(form, "member", ("person_id", "seconded_from_unit_id")) if r["person_id"]]
    fields["leads"] = [r for r in rows(form, "lead", ("unit_id", "item_id", "text", "source")) if r["text"]]
    for name in ("reason", "expected_version"):
        if form.get(name, ""):
            fields[name] = form.get(name, "")
    return fields


def visit_fields(form: Form, item_ids: list[str]) -> dict[str, Any]:
    """A visit from its form: the unit's ledger (kept, current), and each of the unit's items whose process
    or result was marked (属实 / 与报告不符) with its note."""
    fields: dict[str, Any] = {name: form.get(name, "") for name in ("unit_id", "place", "ledger_note", "summary")}
    fields["ledger_kept"] = form.get("ledger_kept", "") == "true"
    fields["ledger_current"] = form.get("ledger_current", "") == "true"
    checks = []
    for item_id in item_ids:
        check = {"item_id": item_id, "process": form.get(f"process_{item_id}", ""),
                 "result": form.get(f"result_{item_id}", ""), "note": form.get(f"note_{item_id}", "").strip()}
        if check["process"] or check["result"] or check["note"]:
            checks.append(check)
    fields["checks"] = checks
    return fields
