"""EvaluationService over gRPC: messages to use cases and back. No rules live here."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from duban.common.v1 import common_pb2
from duban.evaluation.v1 import evaluation_pb2 as pb
from duban.evaluation.v1 import evaluation_pb2_grpc
from libs.common.actor import Actor
from libs.common.file_chunks import file_chunks
from libs.common.idempotency_grpc import write_methods
from services.evaluation import adjusting, commending, freezing, reading, replaying, rule_setting
from services.evaluation.context import Evaluation

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["EvaluationService"].full_name
# FreezeYear answers the frozen year when called again; DecideAdjustment refuses a second decision;
# ProposeRules makes a new version each time, so a retried call is answered from its key.
WRITE_METHODS = write_methods(SERVICE_NAME, ("FreezeYear", "DecideAdjustment", "ProposeRules", "AcceptRules",
                                              "DecideCommendation"))


def _who(request: object) -> Actor:
    """The verified caller: the base checked the call's token and put who it proves into `actor`."""
    return Actor.from_proto(request.actor)  # type: ignore[attr-defined]


class EvaluationServicer(evaluation_pb2_grpc.EvaluationServiceServicer):
    def __init__(self, evaluation: Evaluation) -> None:
        self.e = evaluation

    def ListTotals(self, request: pb.ListTotalsRequest,  # noqa: N802
                   context: grpc.ServicerContext) -> pb.ListTotalsResponse:
        return reading.list_totals(self.e, request, _who(request))

    def ListEntries(self, request: pb.ListEntriesRequest,  # noqa: N802
                    context: grpc.ServicerContext) -> pb.ListEntriesResponse:
        return reading.list_entries(self.e, request, _who(request))

    def GetYear(self, request: pb.GetYearRequest, context: grpc.ServicerContext) -> pb.AssessmentYear:  # noqa: N802
        return reading.get_year(self.e, request, _who(request))

    def FreezeYear(self, request: pb.FreezeYearRequest,  # noqa: N802
                   context: grpc.ServicerContext) -> pb.AssessmentYear:
        return freezing.freeze_year(self.e, request, _who(request))

    def ListAdjustments(self, request: pb.ListAdjustmentsRequest,  # noqa: N802
                        context: grpc.ServicerContext) -> pb.ListAdjustmentsResponse:
        return reading.list_adjustments(self.e, request, _who(request))

    def DecideAdjustment(self, request: pb.DecideAdjustmentRequest,  # noqa: N802
                         context: grpc.ServicerContext) -> pb.Adjustment:
        return adjusting.decide(self.e, request, _who(request))

    def GetRules(self, request: pb.GetRulesRequest, context: grpc.ServicerContext) -> pb.RuleSet:  # noqa: N802
        return reading.get_rules(self.e, request, _who(request))

    def ListRuleVersions(self, request: pb.GetRulesRequest,  # noqa: N802
                         context: grpc.ServicerContext) -> pb.ListRuleVersionsResponse:
        return reading.list_rule_versions(self.e, request, _who(request))

    def ProposeRules(self, request: pb.ProposeRulesRequest,  # noqa: N802
                     context: grpc.ServicerContext) -> pb.RuleProposal:
        return rule_setting.propose(self.e, request, _who(request))

    def AcceptRules(self, request: pb.AcceptRulesRequest, context: grpc.ServicerContext) -> pb.RuleSet:  # noqa: N802
        return rule_setting.accept(self.e, request, _who(request))

    def SuggestCommendations(self, request: pb.SuggestCommendationsRequest,  # noqa: N802
                             context: grpc.ServicerContext) -> pb.SuggestCommendationsResponse:
        return commending.suggest(self.e, request, _who(request))

    def DecideCommendation(self, request: pb.DecideCommendationRequest,  # noqa: N802
                           context: grpc.ServicerContext) -> pb.CommendationSuggestion:
        return commending.decide(self.e, request, _who(request))

    def ReplayYear(self, request: pb.ReplayYearRequest,  # noqa: N802
                   context: grpc.ServicerContext) -> pb.ReplayYearResponse:
        return replaying.replay_year(self.e, request, _who(request))

    def ExportScores(self, request: pb.ExportScoresRequest,  # noqa: N802
                     context: grpc.ServicerContext) -> Iterator[common_pb2.FileChunk]:
        name, data = reading.export(self.e, request.year, _who(request), request.unit_id, request.person_id)
        yield from file_chunks(name, reading.XLSX, data)
