"""NotificationService over gRPC: messages to use cases and back. No rules live here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import grpc

from duban.common.v1 import common_pb2, todo_pb2
from duban.notification.v1 import notification_pb2 as pb
from duban.notification.v1 import notification_pb2_grpc
from libs.common import call_auth, permissions, todo_entries
from libs.common.actor import Actor
from libs.common.file_chunks import file_chunks
from libs.common.idempotency_grpc import write_methods
from services.notification import convert, drafting, editing, inbox, jobs, reading, repository, todo_list, workflow
from services.notification.context import Notification
from services.notification.orm import Bulletin

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["NotificationService"].full_name
# The writes that take an idempotency key (gRPC metadata `idempotency-key`). Generate* are idempotent per
# period by themselves, PublishBulletin per bulletin, RunBulletinJobs per period; MarkMessageRead keeps the
# first reading anyway, and takes a key like every write the gateway passes one for.
WRITE_METHODS = write_methods(SERVICE_NAME, (
    "GenerateBulletin", "EditBulletin", "SubmitBulletin", "ApproveBulletin", "ReturnBulletin", "PublishBulletin",
    "GenerateClearance", "RecordClearanceReceipt", "MarkMessageRead",
))


def _actor(request: object) -> Actor:
    return Actor.from_proto(request.actor)  # type: ignore[attr-defined]


class NotificationServicer(notification_pb2_grpc.NotificationServiceServicer):
    def __init__(self, notification: Notification) -> None:
        self.n = notification

    def _answer(self, b: Bulletin, existing: bool = False) -> pb.BulletinResponse:
        found = convert.facts_of(b)
        in_scope = found.total if isinstance(found, pb.ClearanceFacts) else found.totals.in_scope
        message = convert.bulletin_to_proto(b, draft_texts=drafting.draft_texts(b, in_scope))
        message.issuing_office = self.n.office_name  # what the document prints as its issuer
        if b.corrects_bulletin_id:
            with self.n.uow.read() as tx:
                message.corrects_document_no = repository.get(tx, b.corrects_bulletin_id).document_no
        return pb.BulletinResponse(bulletin=message, existing=existing)

    def GenerateBulletin(self, request: pb.GenerateBulletinRequest,  # noqa: N802
                         context: grpc.ServicerContext) -> pb.BulletinResponse:
        return self._answer(*drafting.generate_bulletin(self.n, request, _actor(request)))

    def PreviewBulletin(self, request: pb.GenerateBulletinRequest,  # noqa: N802
                        context: grpc.ServicerContext) -> pb.BulletinResponse:
        return self._answer(drafting.generate_bulletin(self.n, request, _actor(request), preview=True)[0])

    def GetBulletin(self, request: pb.GetBulletinRequest,  # noqa: N802
                    context: grpc.ServicerContext) -> pb.BulletinResponse:
        return self._answer(reading.get_bulletin(self.n, request.bulletin_id, _actor(request)))

    def ListBulletins(self, request: pb.ListBulletinsRequest,  # noqa: N802
                      context: grpc.ServicerContext) -> pb.ListBulletinsResponse:
        rows, token, total = reading.list_bulletins(
            self.n, request.kind, request.status, request.year, request.named_unit_id, request.scope_unit_id,
            request.page_size, request.page_token, _actor(request))
        listed = [convert.bulletin_to_proto(b, brief=True) for b in rows]
        for message in listed:
            message.issuing_office = self.n.office_name
        return pb.ListBulletinsResponse(bulletins=listed, next_page_token=token, total_size=total)

    def EditBulletin(self, request: pb.EditBulletinRequest,  # noqa: N802
                     context: grpc.ServicerContext) -> pb.BulletinResponse:
        return self._answer(editing.edit_bulletin(self.n, request, _actor(request)))

    def SubmitBulletin(self, request: pb.BulletinActRequest,  # noqa: N802
                       context: grpc.ServicerContext) -> pb.BulletinResponse:
        return self._answer(workflow.submit(self.n, request.bulletin_id, _actor(request)))

    def ApproveBulletin(self, request: pb.ApproveBulletinRequest,  # noqa: N802
                        context: grpc.ServicerContext) -> pb.BulletinResponse:
        return self._answer(workflow.approve(self.n, request, _actor(request)))

    def ReturnBulletin(self, request: pb.ReturnBulletinRequest,  # noqa: N802
                       context: grpc.ServicerContext) -> pb.BulletinResponse:
        return self._answer(workflow.return_(self.n, request, _actor(request)))

    def PublishBulletin(self, request: pb.BulletinActRequest,  # noqa: N802
                        context: grpc.ServicerContext) -> pb.BulletinResponse:
        return self._answer(workflow.publish(self.n, request.bulletin_id, _actor(request)))

    def GetBulletinDocument(self, request: pb.GetBulletinDocumentRequest,  # noqa: N802
                            context: grpc.ServicerContext) -> Iterator[common_pb2.FileChunk]:
        name, ctype, data = reading.document(self.n, request.bulletin_id, request.format, _actor(request))
        yield from file_chunks(name, ctype, data)

    def GenerateClearance(self, request: pb.GenerateClearanceRequest,  # noqa: N802
                          context: grpc.ServicerContext) -> pb.BulletinResponse:
        stamp = request.as_of if request.HasField("as_of") else None
        return self._answer(*drafting.generate_clearance(self.n, request.year, stamp, _actor(request)))

    def GetClearance(self, request: pb.GetClearanceRequest,  # noqa: N802
                     context: grpc.ServicerContext) -> pb.BulletinResponse:
        return self._answer(reading.get_clearance(self.n, request.year, _actor(request)))

    def RecordClearanceReceipt(self, request: pb.RecordClearanceReceiptRequest,  # noqa: N802
                               context: grpc.ServicerContext) -> pb.BulletinResponse:
        return self._answer(workflow.record_receipt(self.n, request, _actor(request)))

    def RunBulletinJobs(self, request: pb.RunBulletinJobsRequest,  # noqa: N802
                        context: grpc.ServicerContext) -> pb.RunBulletinJobsResponse:
        permissions.require(_actor(request).roles, "bulletins.jobs")
        as_of = request.as_of.ToDatetime(dt.UTC) if request.HasField("as_of") else None
        drafted = jobs.run_bulletin_jobs(self.n, as_of)
        return pb.RunBulletinJobsResponse(drafted_bulletin_ids=[b for b, _ in drafted],
                                          periods=[what for _, what in drafted])

    def ListTodo(self, request: todo_pb2.ListTodoRequest,  # noqa: N802
                 context: grpc.ServicerContext) -> todo_pb2.ListTodoResponse:
        entries = todo_list.todo_list(self.n, call_auth.caller(), list(request.unit_ids), request.leader_id,
                                      list(request.kinds))
        return todo_pb2.ListTodoResponse(entries=[todo_entries.to_proto(e) for e in entries],
                                         today=self.n.today().isoformat())

    # -- the inbox (消息): always the proven caller's own messages (inbox.mine)
    def ListMessages(self, request: pb.ListMessagesRequest,  # noqa: N802
                     context: grpc.ServicerContext) -> pb.ListMessagesResponse:
        rows, token, unread, total = inbox.list_messages(self.n, _actor(request), request.unread_only,
                                                         request.page_size, request.page_token)
        return pb.ListMessagesResponse(messages=[convert.message_to_proto(m) for m in rows], next_page_token=token,
                                       unread_count=unread, total_size=total)

    def MarkMessageRead(self, request: pb.MarkMessageReadRequest,  # noqa: N802
                        context: grpc.ServicerContext) -> pb.MessageResponse:
        return pb.MessageResponse(message=convert.message_to_proto(inbox.mark_read(self.n, request.message_id,
                                                                                   _actor(request))))

    def CountUnreadMessages(self, request: pb.CountUnreadMessagesRequest,  # noqa: N802
                            context: grpc.ServicerContext) -> pb.CountUnreadMessagesResponse:
        return pb.CountUnreadMessagesResponse(unread_count=inbox.count_unread(self.n, _actor(request)))
