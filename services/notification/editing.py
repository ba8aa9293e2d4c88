"""The office's edits of a bulletin before it is submitted (or after it was returned): title, opening and
closing, the suggested commendations and criticisms (kept, edited, struck, or its own added), and the
problems to be fixed within a set time. Bad input is refused field by field and changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt

from duban.notification.v1 import notification_pb2 as pb
from libs.common.actor import Actor
from libs.common.errors import Conflict, InvalidInput
from services.notification import convert, domain, events, facts, metrics, repository
from services.notification.context import Notification, require_drafter
from services.notification.orm import Bulletin, BulletinAct, BulletinRequirement, KnownItem

TITLE_MAX, TEXT_MAX, MENTION_MAX = 200, 8000, 500


def act(b: Bulletin, name: str, actor: Actor, now: dt.datetime, comment: str = "") -> None:
    b.acts.append(BulletinAct(bulletin_id=b.id, seq=len(b.acts) + 1, act=name, at=now, by=actor.snapshot(),
                              by_person_id=actor.person_id, comment=comment, docx_sha256=b.docx_sha256,
                              pdf_sha256=b.pdf_sha256))


def _mentions(b: Bulletin, edits: list[pb.MentionEdit], names: dict[str, str]) -> list[facts.Mention]:
    mentions = convert.mentions_of(b)
    by_id = {m.id: i for i, m in enumerate(mentions)}
    errors: dict[str, str] = {}
    added = sum(1 for m in mentions if m.state == facts.ADDED)
    for n, e in enumerate(edits):
        where = f"mentions[{n}]"
        if e.action == "add":
            if e.kind not in (facts.COMMENDATION, facts.CRITICISM):
                errors[f"{where}.kind"] = "应为通报表扬（commendation）或通报批评（criticism）"
            elif not e.text.strip() or len(e.text) > MENTION_MAX:
                errors[f"{where}.text"] = f"请填写表扬或批评的内容（不超过{MENTION_MAX}字）"
            elif e.unit_id and e.unit_id not in names:
                errors[f"{where}.unit_id"] = "该单位不在本期通报的范围内"
            else:
                added += 1
                mentions.append(facts.Mention(f"office:{added}", e.kind, e.unit_id, names.get(e.unit_id, ""), "",
                                              e.text.strip(), facts.ADDED))
            continue
        if e.id not in by_id:
            errors[f"{where}.id"] = "没有这条表扬或批评"
            continue
        i = by_id[e.id]
        if e.action == "keep":
            mentions[i] = dataclasses.replace(mentions[i], state=facts.KEPT)
        elif e.action == "strike":
            mentions[i] = dataclasses.replace(mentions[i], state=facts.STRUCK)
        elif e.action == "edit":
            if not e.text.strip() or len(e.text) > MENTION_MAX:
                errors[f"{where}.text"] = f"请填写修改后的内容（不超过{MENTION_MAX}字）"
            else:
                mentions[i] = dataclasses.replace(mentions[i], text=e.text.strip(), state=facts.EDITED)
        else:
            errors[f"{where}.action"] = "应为 keep、edit、strike 或 add"
    if errors:
        raise InvalidInput("bad mention edits", errors)
    return mentions


def _requirements(n: Notification, tx: object, b: Bulletin, given: list[pb.Requirement],
                  names: dict[str, str]) -> list[BulletinRequirement]:
    errors: dict[str, str] = {}
    out = []
    for i, r in enumerate(given):
        where = f"requirements[{i}]"
        if not r.unit_id or r.unit_id not in names:
            errors[f"{where}.unit_id"] = "请选择本期通报范围内的整改单位"
        if not r.text.strip() or len(r.text) > 1000:
            errors[f"{where}.text"] = "请填写整改要求（不超过1000字）"
        due = None
        if r.due_date:
            try:
                due = dt.date.fromisoformat(r.due_date)
            except ValueError:
                errors[f"{where}.due_date"] = "日期格式应为 YYYY-MM-DD"
            else:
                if due <= n.today():
                    errors[f"{where}.due_date"] = "整改期限应晚于今天"
        elif not 1 <= r.working_days <= 120:
            errors[f"{where}.working_days"] = "请填写整改期限（日期，或印发后1至120个工作日）"
        leader = r.responsible_leader_id
        if not leader and r.item_id:
            known = tx.session.get(KnownItem, r.item_id)  # type: ignore[attr-defined]
            leader = known.leader_id if known else ""
        out.append(BulletinRequirement(
            bulletin_id=b.id, id=f"r{i + 1}", position=i, unit_id=r.unit_id, unit_name=names.get(r.unit_id, ""),
            text=r.text.strip(), working_days=0 if due else r.working_days, due_date=due, item_id=r.item_id,
            item_no=r.item_no, finding_id=r.finding_id, leader_id=leader))
    if errors:
        raise InvalidInput("bad requirements", errors)
    return out


def _unit_names(b: Bulletin) -> dict[str, str]:
    found = convert.facts_of(b)
    names = {u.unit_id: u.unit_name for u in found.units}
    if isinstance(found, pb.Facts):
        names |= {p.unit_id: p.unit_name for p in found.problems}
    return names


def edit_bulletin(n: Notification, request: pb.EditBulletinRequest, actor: Actor) -> Bulletin:
    errors = {}
    if len(request.title) > TITLE_MAX:
        errors["title"] = f"标题不能超过{TITLE_MAX}字"
    for name in ("opening", "closing"):
        if len(getattr(request, name)) > TEXT_MAX:
            errors[name] = f"不能超过{TEXT_MAX}字"
    if errors:
        raise InvalidInput("bad bulletin edit", errors)
    now = n.clock.now()
    with n.uow() as tx:
        b = repository.get(tx, request.bulletin_id, lock=True)
        require_drafter(actor, b.scope_unit_id)
        if request.expected_version and request.expected_version != b.version:
            raise Conflict(f"bulletin {b.id} is at version {b.version}",
                           {"expected_version": "通报已被他人修改，请刷新后再改"})
        b.status = domain.move(b.status, "edit")
        names = _unit_names(b)
        mentions = _mentions(b, list(request.mentions), names)
        if request.replace_requirements:
            b.requirements = _requirements(n, tx, b, list(request.requirements), names)
        if request.title.strip():
            b.title = request.title.strip()
        if request.clear_texts:
            b.opening = b.closing = ""
        if request.opening.strip():
            b.opening = request.opening.strip()
        if request.closing.strip():
            b.closing = request.closing.strip()
        b.mentions = convert.mentions_json(mentions)
        t_units = [u for u in convert.facts_of(b).units if u.lagging]
        named = sorted({u.unit_id for u in t_units} | {m.unit_id for m in mentions if m.state != facts.STRUCK and m.unit_id}
                       | {r.unit_id for r in b.requirements})
        b.named_unit_ids = "," + ",".join(named) + "," if named else ""
        b.version += 1
        b.updated_at = now
        act(b, "edited", actor, now)
        tx.publish(events.bulletin_changed(events.BULLETIN_EDITED, b, actor, now))
        tx.commit()
    metrics.BULLETINS.labels(b.kind, "edited").inc()
    return b
