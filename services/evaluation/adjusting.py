"""Adjustments (调整事项): what a late event would score in a frozen year waits here; the assessment
office counts it (the totals move, score.changed says so) or rejects it, with a reason either way."""

from __future__ import annotations

from duban.evaluation.v1 import evaluation_pb2 as pb
from libs.common.actor import Actor
from libs.common.errors import FailedPrecondition, InvalidInput, NotFound
from services.evaluation import context, domain, reading, recording, scoring
from services.evaluation.context import Evaluation
from services.evaluation.orm import Adjustment


def decide(e: Evaluation, request: pb.DecideAdjustmentRequest, actor: Actor) -> pb.Adjustment:
    context.require(actor, "evaluation.assess", "只有考核办可以决定调整事项")
    reason = request.reason.strip()
    if not reason:
        raise InvalidInput("reason required", {"reason": "请填写决定理由"})
    with e.uow() as tx:
        adj = tx.session.get(Adjustment, request.adjustment_id, with_for_update=True)
        if adj is None:
            raise NotFound(f"no adjustment {request.adjustment_id}", {"adjustment_id": "调整事项不存在"})
        if adj.status != domain.PENDING:
            raise FailedPrecondition(f"adjustment {adj.id} is {adj.status}", {"adjustment_id": "该调整事项已决定"})
        by = actor.name or actor.user_id
        recording.record_act(e, tx, scoring.ADJUSTMENT_DECIDED, {
            "entry_id": adj.id, "year": adj.year, "accept": request.accept, "reason": reason[:500], "by": by})
        adj.reason, adj.decided_by, adj.decided_at = reason[:500], by, e.now()
        tx.commit()
    with e.uow.read() as tx:
        return reading.adjustment_message(tx, request.adjustment_id)
