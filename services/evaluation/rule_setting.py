"""The assessment office sets a year's rules: a new version is proposed (checked against the schema, and
the year scored again with it from the archive to show the difference per unit and person), then accepted
(the year's next generation is scored with it; the old entries stay as they were). A frozen year's rules
no longer change."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from duban.evaluation.v1 import evaluation_pb2 as pb
from libs.common.actor import Actor
from libs.common.db import UnitOfWork
from libs.common.errors import FailedPrecondition, InvalidInput
from services.evaluation import context, convert, domain, replaying, repository, rule_sets
from services.evaluation.context import Evaluation
from services.evaluation.orm import RuleVersion


def _open_year(tx: UnitOfWork, year: int) -> None:
    if repository.year(tx, year, lock=True).status == domain.FROZEN:
        raise FailedPrecondition(f"{year} is frozen", {"year": f"{year}年度已确认（冻结），评分规则不能再改"})


def propose(e: Evaluation, request: pb.ProposeRulesRequest, actor: Actor) -> pb.RuleProposal:
    context.require(actor, "evaluation.assess", "只有考核办可以修改评分规则")
    year = request.year
    effective_from = request.effective_from or f"{year}-01-01"
    try:
        if dt.date.fromisoformat(effective_from).year != year:
            raise ValueError
    except ValueError:
        raise InvalidInput(f"bad effective_from {effective_from!r}", {
            "effective_from": f"生效日期应为{year}年内的日期（YYYY-MM-DD）"}) from None
    with e.uow() as tx:
        _open_year(tx, year)
        repository.ensure_default_rules(tx, year, e.now())
        version = (tx.session.scalar(select(func.max(RuleVersion.version)).where(RuleVersion.year == year)) or 0) + 1
        parsed = rule_sets.parse(request.yaml, version, effective_from)  # InvalidInput names the fault
        row = RuleVersion(year=year, version=version, effective_from=effective_from, yaml=request.yaml,
                          sha256=parsed.sha256, status=repository.PROPOSED, created_at=e.now(),
                          created_by=actor.name or actor.user_id)
        tx.session.add(row)
        held = replaying.held_lines(tx, year, repository.year(tx, year).generation)
        book, _ = replaying.replay(e, tx, year, [*repository.accepted(tx, year), parsed])
        tx.commit()
    return pb.RuleProposal(rules=convert.rules_to_proto(row, parsed),
                           diff=replaying.diff(held, replaying.replayed_lines(book, e.calendar.version)))


def accept(e: Evaluation, request: pb.AcceptRulesRequest, actor: Actor) -> pb.RuleSet:
    context.require(actor, "evaluation.assess", "只有考核办可以修改评分规则")
    with e.uow() as tx:
        _open_year(tx, request.year)
        row = repository.rule_version(tx, request.year, request.version)
        if row.status != repository.PROPOSED:
            raise FailedPrecondition(f"version {row.version} is {row.status}", {
                "version": f"第{row.version}版评分规则不是待采用的版本"})
        for other in repository.version_rows(tx, request.year):  # proposals before it are passed over
            if other.status == repository.PROPOSED and other.version < row.version:
                other.status = repository.SUPERSEDED
        row.status = repository.ACCEPTED
        tx.session.flush()
        book, _ = replaying.replay(e, tx, request.year)
        replaying.write_generation(e, tx, request.year, book)
        tx.commit()
        e.rules_cache.pop(request.year, None)
        return convert.rules_to_proto(row, repository.as_rule_set(row))
