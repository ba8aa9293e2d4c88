"""TrackingService over gRPC: messages to use cases and back. No rules live here."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from duban.common.v1 import common_pb2, todo_pb2
from duban.tracking.v1 import tracking_pb2, tracking_pb2_grpc
from libs.common import call_auth, permissions, todo_entries
from libs.common.actor import Actor
from libs.common.clock import OFFICE_TZ
from libs.common.errors import InvalidInput, NotFound
from libs.common.file_chunks import file_chunks
from libs.common.idempotency_grpc import write_methods
from services.tracking import (
    assigning,
    closing,
    decisions,
    jobs,
    lights_board,
    progress,
    reading,
    todo_list,
    urging,
)
from services.tracking.context import Tracking
from services.tracking.convert import to_proto
from services.tracking.orm import Assignment, Attachment

SERVICE_NAME = tracking_pb2.DESCRIPTOR.services_by_name["TrackingService"].full_name
# The writes that take an idempotency key (gRPC metadata `idempotency-key`, see libs/common/idempotency.py).
# Not RunSweeps: the job is idempotent per day by itself and commits in many chunks, so no key could be
# marked in the same transaction as its whole effect.
WRITE_METHODS = write_methods(SERVICE_NAME, (
    "IssueNotice", "Acknowledge", "FileReport", "RequestExtension", "DecideExtension", "FileReply",
    "FillCompletionReport", "SignCompletionReport", "UrgeUnit",
))
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class TrackingServicer(tracking_pb2_grpc.TrackingServiceServicer):
    def __init__(self, tracking: Tracking) -> None:
        self.tracking = tracking

    def _view(self, assignment: Assignment, timeline: bool = True, brief: bool = False) -> tracking_pb2.Assignment:
        return to_proto(self.tracking, assignment, with_timeline=timeline, brief=brief)

    def GetAssignment(  # noqa: N802
        self, request: tracking_pb2.GetAssignmentRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.GetAssignmentResponse:
        return tracking_pb2.GetAssignmentResponse(assignment=self._view(reading.get(self.tracking, request.item_id)))

    def ListAssignments(  # noqa: N802
        self, request: tracking_pb2.ListAssignmentsRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.ListAssignmentsResponse:
        rows, token, total = reading.list_assignment_rows(
            self.tracking, list(request.unit_ids), request.responsible_leader_id, request.status, request.view,
            request.page_size, request.page_token)
        return tracking_pb2.ListAssignmentsResponse(
            assignments=[self._view(a, timeline=False, brief=True) for a in rows], next_page_token=token,
            total_size=total)

    def ListLights(  # noqa: N802
        self, request: tracking_pb2.ListLightsRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.ListLightsResponse:
        items, token, total, today = lights_board.list_lights(
            self.tracking, list(request.unit_ids), request.responsible_leader_id, request.light, request.lead_unit_id,
            request.page_size, request.page_token)
        return tracking_pb2.ListLightsResponse(
            items=[tracking_pb2.ItemLight(
                item_id=i.item_id, item_no=i.item_no, title=i.title, status=i.status, due_date=i.due_date.isoformat(),
                due_date_provisional=i.due_date_provisional, lead_unit_id=i.lead_unit_id, lead_unit_name=i.lead_unit_name, light=i.light,
                light_reason=i.light_reason, missed_reports=i.missed_reports) for i in items],
            next_page_token=token, total_size=total, today=today.isoformat())

    def LightBoard(  # noqa: N802
        self, request: tracking_pb2.LightBoardRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.LightBoardResponse:
        rows, total, today = lights_board.light_board(self.tracking, list(request.unit_ids),
                                                      request.responsible_leader_id)

        def row(b: lights_board.BoardRow) -> tracking_pb2.LightBoardRow:
            return tracking_pb2.LightBoardRow(unit_id=b.unit_id, unit_name=b.unit_name, red=b.red, yellow=b.yellow,
                                              green=b.green)

        return tracking_pb2.LightBoardResponse(rows=[row(b) for b in rows], total=row(total), today=today.isoformat())

    def IssueNotice(  # noqa: N802
        self, request: tracking_pb2.IssueNoticeRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.IssueNoticeResponse:
        return tracking_pb2.IssueNoticeResponse(assignment=self._view(assigning.issue_notice(
            self.tracking, request.item_id, list(request.requirements), request.contact_name, request.contact_phone,
            Actor.from_proto(request.actor))))

    def Acknowledge(  # noqa: N802
        self, request: tracking_pb2.AcknowledgeRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.AcknowledgeResponse:
        return tracking_pb2.AcknowledgeResponse(assignment=self._view(assigning.acknowledge(self.tracking, request.item_id, request.unit_id,
                                                Actor.from_proto(request.actor))))

    def FileReport(  # noqa: N802
        self, request: tracking_pb2.FileReportRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.FileReportResponse:
        return tracking_pb2.FileReportResponse(assignment=self._view(progress.file_report(
            self.tracking, request.item_id, request.unit_id, request.expected_report_id, request.text,
            list(request.attachments), Actor.from_proto(request.actor))))

    def RequestExtension(  # noqa: N802
        self, request: tracking_pb2.RequestExtensionRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.RequestExtensionResponse:
        return tracking_pb2.RequestExtensionResponse(assignment=self._view(decisions.request_extension(
            self.tracking, request.item_id, request.reason, request.new_due_date, request.progress,
            Actor.from_proto(request.actor))))

    def DecideExtension(  # noqa: N802
        self, request: tracking_pb2.DecideExtensionRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.DecideExtensionResponse:
        return tracking_pb2.DecideExtensionResponse(assignment=self._view(decisions.decide_extension(
            self.tracking, request.item_id, request.extension_id, request.approve, request.comment,
            Actor.from_proto(request.actor))))

    def FileReply(  # noqa: N802
        self, request: tracking_pb2.FileReplyRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.FileReplyResponse:
        return tracking_pb2.FileReplyResponse(assignment=self._view(closing.file_reply(
            self.tracking, request.item_id, request.result, request.root_cause, request.measures,
            list(request.attachments), Actor.from_proto(request.actor))))

    def FillCompletionReport(  # noqa: N802
        self, request: tracking_pb2.FillCompletionReportRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.FillCompletionReportResponse:
        return tracking_pb2.FillCompletionReportResponse(assignment=self._view(closing.fill_completion_report(
            self.tracking, request.item_id, request.report_kind, request.result_summary,
            Actor.from_proto(request.actor), request.confirm_unsigned)))

    def SignCompletionReport(  # noqa: N802
        self, request: tracking_pb2.SignCompletionReportRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.SignCompletionReportResponse:
        return tracking_pb2.SignCompletionReportResponse(assignment=self._view(closing.sign_completion_report(
            self.tracking, request.item_id, request.approve, request.opinion, Actor.from_proto(request.actor),
            request.follow_up)))

    def UrgeUnit(  # noqa: N802
        self, request: tracking_pb2.UrgeUnitRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.UrgeUnitResponse:
        return tracking_pb2.UrgeUnitResponse(assignment=self._view(urging.urge_unit(self.tracking, request.item_id, request.unit_id, request.method,
                                           request.text, Actor.from_proto(request.actor))))

    def LeaderQueue(  # noqa: N802
        self, request: tracking_pb2.LeaderQueueRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.LeaderQueueResponse:
        extensions, closures = reading.leader_queue(self.tracking, request.leader_id)
        return tracking_pb2.LeaderQueueResponse(
            extensions_pending=[self._view(a, timeline=False) for a in extensions],
            closures_pending=[self._view(a, timeline=False) for a in closures])

    def ListTodo(  # noqa: N802
        self, request: todo_pb2.ListTodoRequest, context: grpc.ServicerContext
    ) -> todo_pb2.ListTodoResponse:
        entries = todo_list.todo_list(self.tracking, call_auth.caller(), list(request.unit_ids), request.leader_id,
                                      list(request.kinds))
        return todo_pb2.ListTodoResponse(entries=[todo_entries.to_proto(e) for e in entries],
                                         today=self.tracking.today().isoformat())

    def GetDocument(  # noqa: N802
        self, request: tracking_pb2.GetDocumentRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.FileChunk]:
        assignment = reading.get(self.tracking, request.item_id)
        if request.kind == "notice":
            key, name, ctype = assignment.notice_key, f"督办通知_{assignment.item_no}.docx", DOCX
        elif request.kind == "completion_report":
            key, name, ctype = assignment.completion_key, f"督查事项办结报告单_{assignment.item_no}.docx", DOCX
        elif request.kind == "dossier":
            key, name, ctype = assignment.dossier_key, f"档案_{assignment.item_no}.zip", "application/zip"
        elif request.kind == "attachment":
            att = self._attachment(request.item_id, request.attachment_id)
            key, name, ctype = att.storage_key, att.filename, att.content_type
        else:
            raise InvalidInput(f"unknown document kind {request.kind!r}",
                               {"kind": "应为 notice、completion_report、dossier 或 attachment"})
        if not key:
            raise NotFound(f"no {request.kind} for {assignment.item_no}", {"kind": "该文件尚未生成"})
        yield from file_chunks(name, ctype, self.tracking.storage.get(key))

    def _attachment(self, item_id: str, attachment_id: str) -> Attachment:
        with self.tracking.uow.read() as tx:
            att = tx.session.get(Attachment, attachment_id)
        if att is None or att.item_id != item_id:
            raise NotFound("no such attachment", {"attachment_id": "附件不存在"})
        return att

    def RunSweeps(  # noqa: N802
        self, request: tracking_pb2.RunSweepsRequest, context: grpc.ServicerContext
    ) -> tracking_pb2.RunSweepsResponse:
        import datetime as dt

        caller = call_auth.caller()  # the request names nobody: the token says who asks
        permissions.require(caller.roles if caller else (), "tracking.sweep")
        as_of = None
        if request.as_of:
            try:
                as_of = dt.datetime.fromisoformat(request.as_of)
                as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=OFFICE_TZ)
            except ValueError:
                raise InvalidInput("bad as_of", {"as_of": "应为 ISO 8601 时间"}) from None
        overdue, urged, missed = jobs.run_sweeps(self.tracking, as_of)
        return tracking_pb2.RunSweepsResponse(overdue_published=overdue, urged=urged, reports_missed=missed)
