"""评先树优: the scores suggest whom to commend (domain.commendation_candidates), the assessment office
accepts or declines each with a reason. A decision stays with the subject whatever later entries do."""

from __future__ import annotations

from sqlalchemy import select

from duban.evaluation.v1 import evaluation_pb2 as pb
from libs.common.actor import Actor
from libs.common.errors import InvalidInput, NotFound
from services.evaluation import context, convert, domain, reading, repository
from services.evaluation.context import Evaluation
from services.evaluation.domain import Standing, Subject
from services.evaluation.orm import Commendation, Entry

SHARE_PERCENT = 20  # the best fifth of each kind is suggested (the district may set it: config)


def _standings(e: Evaluation, year: int) -> tuple[list[Standing], dict[str, str], dict[tuple[str, str], Commendation]]:
    with e.uow.read() as tx:
        generation = repository.peek_year(tx, year).generation
        rules: dict[tuple[str, str], set[str]] = {}
        for kind, sid, rule in tx.session.execute(select(Entry.subject_kind, Entry.subject_id, Entry.rule).where(
                Entry.year == year, Entry.generation == generation, Entry.state == domain.COUNTED).distinct()):
            rules.setdefault((kind, sid), set()).add(rule)
        standings = [Standing(Subject(t.subject_kind, t.subject_id, t.subject_name, t.subject_unit_id), t.total_centi,
                              frozenset(rules.get((t.subject_kind, t.subject_id), set())))
                     for t in repository.totals_of(tx, year, generation)]
        decided = {(c.subject_kind, c.subject_id): c for c in tx.session.scalars(
            select(Commendation).where(Commendation.year == year))}
        return standings, reading.clearance_words(tx, year), decided


def _message(year: int, s: Standing, basis: str, c: Commendation | None) -> pb.CommendationSuggestion:
    return pb.CommendationSuggestion(
        year=year, subject=convert.subject_to_proto(s.subject), total=domain.as_points(s.total_centi), basis=basis,
        status=c.status if c else "suggested", reason=c.reason if c else "", decided_by=c.decided_by if c else "",
        decided_at=convert.ts(c.decided_at) if c else None)


def suggest(e: Evaluation, request: pb.SuggestCommendationsRequest, actor: Actor) -> pb.SuggestCommendationsResponse:
    context.require(actor, "evaluation.assess", "只有考核办可以查看评先树优建议")
    standings, clearance, decided = _standings(e, request.year)
    found = domain.commendation_candidates(standings, SHARE_PERCENT, clearance)
    return pb.SuggestCommendationsResponse(suggestions=[
        _message(request.year, s, basis, decided.get((s.subject.kind, s.subject.id)))
        for s, basis in found if not request.kind or s.subject.kind == request.kind])


def decide(e: Evaluation, request: pb.DecideCommendationRequest, actor: Actor) -> pb.CommendationSuggestion:
    context.require(actor, "evaluation.assess", "只有考核办可以决定评先树优")
    reason = request.reason.strip()
    if not reason:
        raise InvalidInput("reason required", {"reason": "请填写决定理由"})
    standings, clearance, _ = _standings(e, request.year)
    found = {(s.subject.kind, s.subject.id): (s, basis)
             for s, basis in domain.commendation_candidates(standings, SHARE_PERCENT, clearance)}
    key = (request.subject_kind, request.subject_id)
    if key not in found:
        raise NotFound(f"{key} not suggested", {"subject_id": "该对象不在评先树优建议名单中"})
    with e.uow() as tx:
        row = tx.session.get(Commendation, (request.year, *key)) or Commendation(
            year=request.year, subject_kind=key[0], subject_id=key[1])
        row.status = "accepted" if request.accept else "declined"
        row.reason, row.decided_by, row.decided_at = reason[:500], actor.name or actor.user_id, e.now()
        tx.session.merge(row)
        tx.commit()
    s, basis = found[key]
    return _message(request.year, s, basis, row)
