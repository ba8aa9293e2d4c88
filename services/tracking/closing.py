"""分析汇总、办结销号、整理建档: the written reply, the completion report, the signature, the dossier."""

from __future__ import annotations

import json

from duban.tracking.v1 import events_pb2
from libs.common import vocabulary
from libs.common.actor import Actor, snapshot_name
from libs.common.clock import OFFICE_TZ
from libs.common.db import UnitOfWork
from libs.common.errors import FailedPrecondition, InvalidInput
from libs.common.storage import sha256
from services.tracking import documents, domain, dossier, events, inspection_material, metrics, moving
from services.tracking.context import Tracking, require_leader, require_office, require_unit
from services.tracking.convert import to_proto
from services.tracking.orm import Assignment, AuditEntry
from services.tracking.progress import store_attachments
from services.tracking.repository import get_assignment


def file_reply(tracking: Tracking, item_id: str, result: str, root_cause: str, measures: str, uploads: list,
               actor: Actor) -> Assignment:
    with tracking.uow() as tx:
        assignment = get_assignment(tx, item_id, lock=True)
        require_unit(actor, assignment, lead_only=True)
        if assignment.status not in ("notified", "in_progress"):
            raise FailedPrecondition(f"no reply in {assignment.status}", {"status": "当前状态不能回复办理结果"})
        late = domain.is_late(tracking.today(), assignment.due_date)
        domain.check_reply(late, result, root_cause, measures)
        now = tracking.clock.now()
        assignment.reply_result, assignment.reply_late = result.strip(), late
        assignment.reply_root_cause, assignment.reply_measures = root_cause.strip(), measures.strip()
        assignment.replied_at, assignment.replied_by = now, actor.snapshot()
        store_attachments(tracking, tx, assignment, "reply", uploads)
        moving.move(tx, assignment, "replied", now)
        assignment.version += 1
        assignment.updated_at = now
        tx.session.flush()
        proto = to_proto(tracking, assignment, with_timeline=False)
        tx.publish(events.event(events.ITEM_REPLIED, item_id, events_pb2.ItemReplied(item_id=item_id, reply=proto.reply),
                                now))
        tx.commit()
        return assignment


def _within_time(assignment: Assignment) -> bool:
    """In time means by the working deadline; an approved extension moved it, lateness did not."""
    return not assignment.reply_late


def _completion_data(tracking: Tracking, assignment: Assignment,
                     reports: tuple[str, ...] = ()) -> documents.CompletionReportData:
    signed_at = assignment.signed_at.astimezone(OFFICE_TZ) if assignment.signed_at else None
    filled_at = assignment.completion_filled_at
    assert filled_at is not None, "the report is drawn once the unit has filled it"
    return documents.CompletionReportData(
        item_no=assignment.item_no, title=assignment.title, leader_name=assignment.leader_name,
        registered_on=assignment.registered_on, completed_within_time=assignment.completion_within_time,
        report_kind=assignment.completion_kind, unit_name=tracking.office_name,
        filled_on=filled_at.astimezone(OFFICE_TZ).date(),
        leader_opinion=assignment.signature_opinion if assignment.signed_at else "",
        signed_by=snapshot_name(assignment.signed_by) if assignment.signature_approved else "",
        signed_at=signed_at if assignment.signature_approved else None,
        result_summary=assignment.completion_summary,
        extensions=tuple((x.reason, x.old_due_date, x.new_due_date, snapshot_name(x.decided_by))
                         for x in assignment.extensions if x.status == "approved"),
        reports=reports,
    )


def fill_completion_report(tracking: Tracking, item_id: str, kind: str, summary: str, actor: Actor,
                           confirm_unsigned: bool = False) -> Assignment:
    """The office fills the 办结报告单 for the leader to sign; if a unit never signed for the notice, only
    with `confirm_unsigned` (the office knows it closes the item without that unit's receipt)."""
    require_office(actor, "tracking.completion")
    if kind not in domain.REPORT_KINDS:
        raise InvalidInput(f"unknown report kind {kind!r}", {"report_kind": "督查报告类型应为 special（专项）或 comprehensive（综合）"})
    reports = inspection_material.report_names(tracking, item_id)  # before the transaction: a call out
    with tracking.uow() as tx:
        assignment = get_assignment(tx, item_id, lock=True)
        if assignment.status != "replied":
            raise FailedPrecondition(f"completion report needs a reply, status {assignment.status}",
                                     {"status": "承办单位书面回复后才能填写办结报告单"})
        # The lead unit's written reply (which brought the item here) shows it had the notice.
        domain.check_unsigned_confirmed([u.unit_name for u in assignment.units
                                         if u.acknowledged_at is None and u.role != "lead"], confirm_unsigned)
        now = tracking.clock.now()
        assignment.completion_kind = kind
        assignment.completion_summary = summary.strip() or assignment.reply_result
        assignment.completion_within_time = _within_time(assignment)
        assignment.completion_filled_at, assignment.completion_filled_by = now, actor.snapshot()
        assignment.signature_opinion, assignment.signed_at, assignment.signed_by = "", None, ""
        assignment.signature_approved = False
        assignment.completion_key = tracking.storage.put(
            f"tracking/{item_id}/completion_report.docx",
            documents.render_completion_report_docx(_completion_data(tracking, assignment, reports)))
        moving.move(tx, assignment, "completion_filled", now)
        assignment.version += 1
        assignment.updated_at = now
        tx.commit()
        return assignment


def sign_completion_report(tracking: Tracking, item_id: str, approve: bool, opinion: str, actor: Actor,
                           follow_up: str = "") -> Assignment:
    """The leader signs (销号) - or sends it back with an opinion. On signature: closed, then archived.

    A new instruction written when signing (新的批示) travels with item.closed; the ledger registers it as
    a follow-up item linked to this one, so the closure leads somewhere instead of ending in a file.
    """
    follow_up = follow_up.strip()
    # Read before the transaction (calls out): the reports the signed report names, the dossier's material.
    reports = inspection_material.report_names(tracking, item_id) if approve else ()
    material = inspection_material.dossier_entries(tracking, item_id) if approve else []
    with tracking.uow() as tx:
        assignment = get_assignment(tx, item_id, lock=True)
        require_leader(actor, assignment, "签字销号")
        if assignment.status != "completion_filled":
            raise FailedPrecondition(f"nothing to sign in {assignment.status}", {"status": "没有待签字的办结报告单"})
        if not approve and not opinion.strip():
            raise InvalidInput("a refusal needs an opinion", {"opinion": "退回时请填写审核意见"})
        if not approve and follow_up:
            raise InvalidInput("a new instruction comes with a signature",
                               {"follow_up": "新的批示随同意销号一并作出；退回时请写在审核意见中"})
        now = tracking.clock.now()
        comment = opinion.strip() + (f"；新的批示：{follow_up}" if follow_up else "")
        tx.session.add(AuditEntry(item_id=item_id, act="closure", decision="approved" if approve else "returned",
                                  person_id=actor.person_id, person_name=actor.name, comment=comment, at=now))
        assignment.signature_opinion, assignment.signed_at, assignment.signed_by = opinion.strip(), now, actor.snapshot()
        assignment.signature_approved = approve
        assignment.follow_up = follow_up
        assignment.version += 1
        assignment.updated_at = now
        if not approve:
            moving.move(tx, assignment, "replied", now)  # back to the office, which may fill the report again
            tx.commit()
            return assignment
        assignment.completion_key = tracking.storage.put(
            f"tracking/{item_id}/completion_report.docx",
            documents.render_completion_report_docx(_completion_data(tracking, assignment, reports)))
        moving.move(tx, assignment, "closed", now)
        assignment.closed_at = now
        domain.cancel_owed_reports(assignment.expected)  # closed: nothing more is awaited
        tx.session.flush()
        proto = to_proto(tracking, assignment, with_timeline=False)
        tx.publish(events.raisers_changed(assignment, now))  # closed: nothing raises its light any more
        tx.publish(events.event(events.ITEM_CLOSED, item_id, events_pb2.ItemClosed(
            item_id=item_id, item_no=assignment.item_no, completion=proto.completion, result=assignment.reply_result,
            within_time=assignment.completion_within_time), now))
        archive(tracking, tx, assignment, actor, material)
        tx.commit()
        metrics.CLOSED.labels(str(assignment.completion_within_time).lower()).inc()
        return assignment


def archive(tracking: Tracking, tx: UnitOfWork, assignment: Assignment, actor: Actor,
            inspection: list[dossier.DossierEntry] | None = None) -> None:
    """整理建档: the original assignment, every act and every file, in one ZIP with checksums; with the
    item's inspection material (inspection_material.dossier_entries) in 06_督查."""
    now = tracking.clock.now()
    proto = to_proto(tracking, assignment)
    from google.protobuf import json_format

    record = json_format.MessageToDict(proto, preserving_proto_field_name=True)
    entries = [
        dossier.DossierEntry("00_事项记录/事项记录.json",
                             json.dumps(record, ensure_ascii=False, indent=2).encode(), "事项全过程记录", "record"),
        dossier.DossierEntry("01_交办/督办通知.docx", tracking.storage.get(assignment.notice_key), "督办通知", "notice"),
        dossier.DossierEntry("05_办结/督查事项办结报告单.docx", tracking.storage.get(assignment.completion_key),
                             "督查事项办结报告单", "completion_report"),
    ]
    # A notice revised after the published calendar moved its deadline: the one first sent is filed too.
    for i, revision in enumerate((r for r in assignment.notice_revisions if r.previous_notice_key), start=1):
        entries.append(dossier.DossierEntry(f"01_交办/督办通知（修订前{i}）.docx",
                                            tracking.storage.get(revision.previous_notice_key),
                                            f"督办通知（{revision.at.astimezone(OFFICE_TZ):%Y-%m-%d}修订前）", "notice"))
    # Names people read in the archive: units by name and files numbered, never ids.
    unit_names = {u.unit_id: u.unit_name for u in assignment.units}
    for i, report in enumerate(assignment.reports, start=1):
        unit = dossier.safe_name(unit_names.get(report.unit_id, "承办单位"))
        entries.append(dossier.DossierEntry(f"02_进展汇报/{i:02d}_{unit}.txt", report.text.encode(),
                                            f"进展汇报 {report.filed_at.astimezone(OFFICE_TZ):%Y-%m-%d}", "report"))
    for i, x in enumerate(assignment.extensions, start=1):
        text = (f"申请时间：{x.requested_at.astimezone(OFFICE_TZ):%Y-%m-%d %H:%M}\n原完成时限：{x.old_due_date}\n"
                f"申请完成时限：{x.new_due_date}\n理由：{x.reason}\n进展：{x.progress}\n"
                f"结果：{vocabulary.EXTENSION_STATUSES.get(x.status, '')}\n"
                f"审批人：{snapshot_name(x.decided_by)}\n意见：{x.comment}\n")
        entries.append(dossier.DossierEntry(f"03_转期/{i:02d}_申请至{x.new_due_date.isoformat()}.txt", text.encode(),
                                            "转期申请与审批", "extension"))
    reply = (f"办理结果：{assignment.reply_result}\n问题根源：{assignment.reply_root_cause}\n"
             f"整改措施：{assignment.reply_measures}\n")
    entries.append(dossier.DossierEntry("04_书面回复/办理结果.txt", reply.encode(), "书面回复", "reply"))
    numbered: dict[str, int] = {}
    for att in assignment.attachments:
        data = tracking.storage.get(att.storage_key)
        folder = "04_书面回复" if att.owner == "reply" else "02_进展汇报"
        numbered[folder] = numbered.get(folder, 0) + 1  # the number keeps two files of one name apart
        entries.append(dossier.DossierEntry(f"{folder}/附件/{numbered[folder]:02d}_{dossier.safe_name(att.filename)}",
                                            data, att.filename, "attachment"))
    entries.extend(inspection or ())
    archived_by = actor.name or "系统"
    zipped = dossier.build_dossier_zip(assignment.item_no, assignment.title, entries, now, archived_by)
    assignment.dossier_key = tracking.storage.put(f"tracking/{assignment.item_id}/dossier.zip", zipped)
    moving.move(tx, assignment, "archived", now)
    assignment.archived_at = now
    tx.publish(events.event(events.ITEM_ARCHIVED, assignment.item_id, events_pb2.ItemArchived(
        item_id=assignment.item_id, dossier_sha256=sha256(zipped), files=len(entries)), now))
