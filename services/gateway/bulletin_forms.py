"""The bulletin editor's form as the write's fields (services/gateway/bulletin_writes.py): one set of radio
buttons and a text per suggested commendation or criticism (m-<i>-...), rows for added ones (a-<i>-...),
one row per problem to be fixed (r-<i>-...; an empty text drops the row). A refused post shows the form
again with every entry as it was sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from duban.notification.v1 import notification_pb2

SPARE_ROWS = 3  # empty rows the editor offers for added mentions and problems


def _rows(form: Mapping[str, str], prefix: str) -> list[int]:
    """The row numbers of `prefix-<n>-...` fields present in the form, in order."""
    found = set()
    for key in form:
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit() and len(parts[1]) < 4:
            found.add(int(parts[1]))
    return sorted(found)


def edit_fields(form: Mapping[str, str]) -> dict[str, Any]:
    """The edit's fields from the editor's form."""
    mentions: list[dict[str, str]] = []
    for n in _rows(form, "m"):
        action = form.get(f"m-{n}-action", "keep")
        entry = {"id": form.get(f"m-{n}-id", ""), "action": action}
        if action == "edit":
            entry["text"] = form.get(f"m-{n}-text", "")
        mentions.append(entry)
    for n in _rows(form, "a"):
        text = form.get(f"a-{n}-text", "").strip()
        if text:
            mentions.append({"action": "add", "kind": form.get(f"a-{n}-kind", ""), "unit_id": form.get(f"a-{n}-unit_id", ""),
                             "text": text})
    requirements = []
    for n in _rows(form, "r"):
        text = form.get(f"r-{n}-text", "").strip()
        if not text or form.get(f"r-{n}-drop"):
            continue
        requirements.append({key: form.get(f"r-{n}-{key}", "") for key in (
            "id", "unit_id", "due_date", "working_days", "item_id", "finding_id", "responsible_leader_id")} | {"text": text})
    fields: dict[str, Any] = {"title": form.get("title", ""), "opening": form.get("opening", ""),
                              "closing": form.get("closing", ""), "mentions": mentions, "requirements": requirements,
                              "replace_requirements": "true"}
    if form.get("expected_version"):
        fields["expected_version"] = form["expected_version"]
    return fields


def editor_values(bulletin: notification_pb2.Bulletin, form: Mapping[str, str] | None) -> dict[str, Any]:
    """What the editor shows: what was posted (a refused post keeps every entry), else the bulletin's."""
    if form is not None:
        posted = edit_fields(form)
        actions = {form.get(f"m-{n}-id", ""): (form.get(f"m-{n}-action", "keep"), form.get(f"m-{n}-text", ""))
                   for n in _rows(form, "m")}
        added = [{"kind": form.get(f"a-{n}-kind", ""), "unit_id": form.get(f"a-{n}-unit_id", ""),
                  "text": form.get(f"a-{n}-text", "")} for n in _rows(form, "a")]
        return posted | {"actions": actions, "added": added}
    actions = {m.id: ("strike" if m.state == "struck" else "edit" if m.state == "edited" else "keep", m.text)
               for m in bulletin.mentions}
    requirements = [{"id": r.id, "unit_id": r.unit_id, "text": r.text, "due_date": r.due_date,
                     "working_days": str(r.working_days or ""), "item_id": r.item_id, "finding_id": r.finding_id,
                     "responsible_leader_id": r.responsible_leader_id} for r in bulletin.requirements]
    return {"title": bulletin.title, "opening": bulletin.opening or bulletin.draft_opening,
            "closing": bulletin.closing or bulletin.draft_closing, "actions": actions, "added": [],
            "requirements": requirements, "expected_version": bulletin.version}
