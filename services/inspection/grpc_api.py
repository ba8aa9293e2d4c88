"""InspectionService over gRPC: messages to use cases and back. No rules live here."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from duban.common.v1 import common_pb2, todo_pb2
from duban.inspection.v1 import inspection_pb2, inspection_pb2_grpc
from libs.common import call_auth, permissions, todo_entries
from libs.common.actor import Actor
from libs.common.errors import InvalidInput, PermissionDenied
from libs.common.file_chunks import file_chunks
from libs.common.idempotency_grpc import write_methods
from services.inspection import (
    domain,
    escalating,
    jobs,
    material,
    planning,
    reading,
    recording,
    rectifying,
    report_content,
    report_text,
    reporting,
    todo_list,
)
from services.inspection.context import Inspection, may_see_plan
from services.inspection.convert import (
    escalation_to_proto,
    finding_to_proto,
    plan_to_proto,
    report_to_proto,
    visit_to_proto,
)
from services.inspection.orm import Finding, Plan

SERVICE_NAME = inspection_pb2.DESCRIPTOR.services_by_name["InspectionService"].full_name
# The writes that take an idempotency key (gRPC metadata `idempotency-key`). RecordFinding also has the
# device's own client_key (kept forever with the finding); RunSweeps is idempotent by itself.
WRITE_METHODS = write_methods(SERVICE_NAME, (
    "CreatePlan", "UpdatePlan", "ApprovePlan", "StartPlan", "FinishPlan", "ConfirmTraining", "RecordVisit",
    "RecordFinding", "RegisterFindingAsItem", "OrderRectification", "ReportRectification", "VerifyRectification",
    "RaiseEscalation", "AcknowledgeEscalation", "DraftReport", "UpdateReport", "IssueReport", "AcknowledgeFeedback",
    "AnswerFeedback",
))


def _actor(request: object) -> Actor:
    return Actor.from_proto(request.actor)  # type: ignore[attr-defined]


def _verified() -> Actor:
    caller = call_auth.caller()
    if caller is None:
        raise PermissionDenied("no verified caller", {"role": "调用方未经验证"})
    return caller


class InspectionServicer(inspection_pb2_grpc.InspectionServiceServicer):
    def __init__(self, inspection: Inspection) -> None:
        self.inspection = inspection

    # -- plans
    def _plan(self, plan: Plan) -> inspection_pb2.PlanResponse:
        found, items, visits, findings, open_ = reading.get_plan(self.inspection, plan.id, Actor(role=permissions.SYSTEM))
        return inspection_pb2.PlanResponse(plan=plan_to_proto(found, items, visits=visits, findings=findings,
                                                              open_rectifications=open_))

    def CreatePlan(self, request: inspection_pb2.CreatePlanRequest,  # noqa: N802
                   context: grpc.ServicerContext) -> inspection_pb2.PlanResponse:
        return self._plan(planning.create_plan(self.inspection, request.draft, _actor(request)))

    def UpdatePlan(self, request: inspection_pb2.UpdatePlanRequest,  # noqa: N802
                   context: grpc.ServicerContext) -> inspection_pb2.PlanResponse:
        return self._plan(planning.update_plan(self.inspection, request.plan_id, request.draft, request.reason,
                                               request.expected_version, _actor(request)))

    def ApprovePlan(self, request: inspection_pb2.ApprovePlanRequest,  # noqa: N802
                    context: grpc.ServicerContext) -> inspection_pb2.PlanResponse:
        return self._plan(planning.approve_plan(self.inspection, request.plan_id, request.comment, _actor(request)))

    def StartPlan(self, request: inspection_pb2.PlanActRequest,  # noqa: N802
                  context: grpc.ServicerContext) -> inspection_pb2.PlanResponse:
        return self._plan(planning.move_plan(self.inspection, request.plan_id, domain.UNDER_WAY, _actor(request)))

    def FinishPlan(self, request: inspection_pb2.PlanActRequest,  # noqa: N802
                   context: grpc.ServicerContext) -> inspection_pb2.PlanResponse:
        return self._plan(planning.move_plan(self.inspection, request.plan_id, domain.DONE, _actor(request)))

    def ConfirmTraining(self, request: inspection_pb2.PlanActRequest,  # noqa: N802
                        context: grpc.ServicerContext) -> inspection_pb2.PlanResponse:
        return self._plan(planning.confirm_training(self.inspection, request.plan_id, _actor(request)))

    def GetPlan(self, request: inspection_pb2.GetPlanRequest,  # noqa: N802
                context: grpc.ServicerContext) -> inspection_pb2.PlanResponse:
        plan, items, visits, findings, open_ = reading.get_plan(self.inspection, request.plan_id, _actor(request))
        return inspection_pb2.PlanResponse(plan=plan_to_proto(plan, items, visits=visits, findings=findings,
                                                              open_rectifications=open_))

    def ListPlans(self, request: inspection_pb2.ListPlansRequest,  # noqa: N802
                  context: grpc.ServicerContext) -> inspection_pb2.ListPlansResponse:
        plans, items, counts, token = reading.list_plans(self.inspection, request.status, request.page_size,
                                                         request.page_token, _actor(request))
        return inspection_pb2.ListPlansResponse(
            plans=[plan_to_proto(p, items, brief=True, findings=counts.get(p.id, (0, 0))[0],
                                 open_rectifications=counts.get(p.id, (0, 0))[1]) for p in plans],
            next_page_token=token)

    # -- visits and findings
    def RecordVisit(self, request: inspection_pb2.RecordVisitRequest,  # noqa: N802
                    context: grpc.ServicerContext) -> inspection_pb2.VisitResponse:
        visit, duplicate = recording.record_visit(self.inspection, request, _actor(request))
        return inspection_pb2.VisitResponse(visit=visit_to_proto(visit), duplicate=duplicate)

    def _finding(self, finding: Finding, duplicate: bool = False) -> inspection_pb2.FindingResponse:
        found, plan_title = reading.get_finding(self.inspection, finding.id, Actor(role=permissions.SYSTEM))
        return inspection_pb2.FindingResponse(finding=finding_to_proto(found, plan_title, self.inspection.today()),
                                              duplicate=duplicate)

    def RecordFinding(self, request: inspection_pb2.RecordFindingRequest,  # noqa: N802
                      context: grpc.ServicerContext) -> inspection_pb2.FindingResponse:
        # Answered from the rows just written (a new finding has no rectification yet): reading it back
        # with its plan was a third of recording one.
        finding, plan_title, duplicate = recording.record_finding(self.inspection, request, _actor(request))
        return inspection_pb2.FindingResponse(
            finding=finding_to_proto(finding, plan_title, self.inspection.today()), duplicate=duplicate)

    def GetFinding(self, request: inspection_pb2.GetFindingRequest,  # noqa: N802
                   context: grpc.ServicerContext) -> inspection_pb2.FindingResponse:
        finding, plan_title = reading.get_finding(self.inspection, request.finding_id, _actor(request))
        return inspection_pb2.FindingResponse(finding=finding_to_proto(finding, plan_title, self.inspection.today()))

    def ListFindings(self, request: inspection_pb2.ListFindingsRequest,  # noqa: N802
                     context: grpc.ServicerContext) -> inspection_pb2.ListFindingsResponse:
        rows, titles, token, total = reading.list_findings(
            self.inspection, request.plan_id, request.unit_id, request.item_id, request.rectification_status,
            request.page_size, request.page_token, _actor(request))
        today = self.inspection.today()
        return inspection_pb2.ListFindingsResponse(
            findings=[finding_to_proto(f, titles.get(f.plan_id, ""), today) for f in rows], next_page_token=token,
            total_size=total)

    def RegisterFindingAsItem(self, request: inspection_pb2.RegisterFindingAsItemRequest,  # noqa: N802
                              context: grpc.ServicerContext) -> inspection_pb2.FindingResponse:
        return self._finding(recording.register_as_item(self.inspection, request, _actor(request)))

    # -- rectification
    def OrderRectification(self, request: inspection_pb2.OrderRectificationRequest,  # noqa: N802
                           context: grpc.ServicerContext) -> inspection_pb2.FindingResponse:
        return self._finding(rectifying.order(self.inspection, request, _actor(request)))

    def ReportRectification(self, request: inspection_pb2.ReportRectificationRequest,  # noqa: N802
                            context: grpc.ServicerContext) -> inspection_pb2.FindingResponse:
        return self._finding(rectifying.report(self.inspection, request, _actor(request)))

    def VerifyRectification(self, request: inspection_pb2.VerifyRectificationRequest,  # noqa: N802
                            context: grpc.ServicerContext) -> inspection_pb2.FindingResponse:
        return self._finding(*rectifying.verify(self.inspection, request, _actor(request)))

    # -- escalations
    def RaiseEscalation(self, request: inspection_pb2.RaiseEscalationRequest,  # noqa: N802
                        context: grpc.ServicerContext) -> inspection_pb2.EscalationResponse:
        return inspection_pb2.EscalationResponse(escalation=escalation_to_proto(escalating.raise_escalation(
            self.inspection, request.plan_id, request.finding_id, request.unit_id, request.item_id, request.text,
            _actor(request))))

    def AcknowledgeEscalation(self, request: inspection_pb2.AcknowledgeEscalationRequest,  # noqa: N802
                              context: grpc.ServicerContext) -> inspection_pb2.EscalationResponse:
        return inspection_pb2.EscalationResponse(escalation=escalation_to_proto(
            escalating.acknowledge(self.inspection, request.escalation_id, _actor(request))))

    def ListEscalations(self, request: inspection_pb2.ListEscalationsRequest,  # noqa: N802
                        context: grpc.ServicerContext) -> inspection_pb2.ListEscalationsResponse:
        found = escalating.list_escalations(self.inspection, request.plan_id, request.open_only, _actor(request))
        return inspection_pb2.ListEscalationsResponse(escalations=[escalation_to_proto(e) for e in found])

    # -- reports and feedback
    def _report(self, report_id: str, actor: Actor, plan_id: str = "") -> inspection_pb2.ReportResponse:
        report, plan, data = reporting.get_report(self.inspection, report_id, plan_id, actor)
        counts = report_content.report_counts(data)
        mine = "" if may_see_plan(actor, plan) else actor.unit_id
        return inspection_pb2.ReportResponse(report=report_to_proto(
            report, plan.title, report_text.draft_analysis(data), report_text.draft_recommendations(data),
            inspection_pb2.ReportCounts(
                units_visited=counts.units_visited, items_verified=counts.items_verified,
                discrepancies=counts.discrepancies, findings=counts.findings_total, major=counts.major,
                rectified=counts.rectified, rectifying=counts.rectifying, overdue=counts.overdue,
                relapsed=counts.relapsed, ledgers_not_kept=counts.ledgers_not_kept), mine))

    def DraftReport(self, request: inspection_pb2.DraftReportRequest,  # noqa: N802
                    context: grpc.ServicerContext) -> inspection_pb2.ReportResponse:
        actor = _actor(request)
        return self._report(reporting.draft_report(self.inspection, request.plan_id, actor).id, actor)

    def UpdateReport(self, request: inspection_pb2.UpdateReportRequest,  # noqa: N802
                     context: grpc.ServicerContext) -> inspection_pb2.ReportResponse:
        actor = _actor(request)
        return self._report(reporting.update_report(self.inspection, request.report_id, request.title, request.analysis,
                                                    request.recommendations, request.expected_version, actor).id, actor)

    def IssueReport(self, request: inspection_pb2.IssueReportRequest,  # noqa: N802
                    context: grpc.ServicerContext) -> inspection_pb2.ReportResponse:
        actor = _actor(request)
        return self._report(reporting.issue_report(self.inspection, request.report_id, request.answer_working_days,
                                                   actor).id, actor)

    def GetReport(self, request: inspection_pb2.GetReportRequest,  # noqa: N802
                  context: grpc.ServicerContext) -> inspection_pb2.ReportResponse:
        return self._report(request.report_id, _actor(request), request.plan_id)

    def AcknowledgeFeedback(self, request: inspection_pb2.FeedbackActRequest,  # noqa: N802
                            context: grpc.ServicerContext) -> inspection_pb2.ReportResponse:
        actor = _actor(request)
        return self._report(reporting.acknowledge_feedback(self.inspection, request.report_id, request.unit_id,
                                                           actor).id, actor)

    def AnswerFeedback(self, request: inspection_pb2.AnswerFeedbackRequest,  # noqa: N802
                       context: grpc.ServicerContext) -> inspection_pb2.ReportResponse:
        actor = _actor(request)
        return self._report(reporting.answer_feedback(self.inspection, request.report_id, request.unit_id,
                                                      request.answer, actor).id, actor)

    # -- to-do, files, jobs
    def ListTodo(self, request: todo_pb2.ListTodoRequest,  # noqa: N802
                 context: grpc.ServicerContext) -> todo_pb2.ListTodoResponse:
        entries = todo_list.todo_list(self.inspection, call_auth.caller(), list(request.unit_ids), request.leader_id,
                                      list(request.kinds))
        return todo_pb2.ListTodoResponse(entries=[todo_entries.to_proto(e) for e in entries],
                                         today=self.inspection.today().isoformat())

    def GetDocument(self, request: inspection_pb2.GetDocumentRequest,  # noqa: N802
                    context: grpc.ServicerContext) -> Iterator[common_pb2.FileChunk]:
        if request.kind in ("report", "feedback"):
            name, docx = reporting.document(self.inspection, request.id, request.unit_id, request.kind == "feedback",
                                            _actor(request))
            yield from file_chunks(name, reporting.DOCX, docx)
            return
        if request.kind not in ("photo", "thumbnail"):
            raise InvalidInput(f"unknown document kind {request.kind!r}",
                               {"kind": "应为 photo、thumbnail、report 或 feedback"})
        name, ctype, data = reading.photo_file(self.inspection, request.id, request.kind == "thumbnail",
                                               _actor(request))
        yield from file_chunks(name, ctype, data)

    def GetItemMaterial(self, request: inspection_pb2.GetItemMaterialRequest,  # noqa: N802
                        context: grpc.ServicerContext) -> Iterator[inspection_pb2.MaterialFile]:
        # The caller is read here, while the call's verified context is current, not in the generator,
        # which runs after this returns.
        files = material.item_material(self.inspection, request.item_id, _verified())
        return (inspection_pb2.MaterialFile(path=f.path, title=f.title, kind=f.kind, data=f.data) for f in files)

    def ItemReports(self, request: inspection_pb2.ItemReportsRequest,  # noqa: N802
                    context: grpc.ServicerContext) -> inspection_pb2.ItemReportsResponse:
        reports = material.item_reports(self.inspection, request.item_id, _verified())
        return inspection_pb2.ItemReportsResponse(reports=[
            inspection_pb2.ItemReport(report_no=r.report_no, title=r.title, kind=r.kind) for r in reports])

    def RunSweeps(self, request: inspection_pb2.RunSweepsRequest,  # noqa: N802
                  context: grpc.ServicerContext) -> inspection_pb2.RunSweepsResponse:
        permissions.require(_actor(request).roles, "inspection.sweep")
        return inspection_pb2.RunSweepsResponse(overdue=jobs.run_sweeps(self.inspection))
