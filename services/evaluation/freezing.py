"""The assessment office accepts a year (考核确认): its items still open are scored as of the day given
(late working days against their deadline), then the year is frozen - later events for it become
adjustments for a decision. The ledger hears year.frozen and stops items moving into or out of it."""

from __future__ import annotations

import datetime as dt

from duban.evaluation.v1 import evaluation_pb2 as pb
from libs.common.actor import Actor
from libs.common.errors import FailedPrecondition, InvalidInput
from services.evaluation import context, domain, events, reading, recording, repository, scoring
from services.evaluation.context import Evaluation


def freeze_year(e: Evaluation, request: pb.FreezeYearRequest, actor: Actor) -> pb.AssessmentYear:
    context.require(actor, "evaluation.assess", "只有考核办可以确认（冻结）考核年度")
    year = request.year
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"bad year {year}", {"year": "请填写考核年度（如2026）"})
    try:
        as_of = dt.date.fromisoformat(request.as_of) if request.as_of else e.today()
    except ValueError:
        raise InvalidInput(f"bad as_of {request.as_of!r}", {"as_of": "考核截止日期格式应为YYYY-MM-DD"}) from None
    if as_of.year < year:
        raise InvalidInput(f"as_of {as_of} before {year}", {"as_of": f"考核截止日期不能早于{year}年"})
    with e.uow() as tx:
        row = repository.year(tx, year, lock=True)
        if row.status == domain.FROZEN:
            if request.as_of and request.as_of != row.as_of:
                raise FailedPrecondition(f"{year} frozen as of {row.as_of}", {
                    "as_of": f"{year}年度已于{row.as_of}确认（冻结），不能另定考核截止日期"})
            return reading.year_message(e, tx, year)
        repository.ensure_default_rules(tx, year, e.now())
        recording.record_act(e, tx, scoring.YEAR_ASSESSED, {"year": year, "as_of": as_of.isoformat(),
                                                            "by": actor.name or actor.user_id})
        row.frozen_at, row.frozen_by = e.now(), actor.name or actor.user_id
        tx.publish(events.year_frozen(year, as_of.isoformat(), row.frozen_by, e.now()))
        tx.commit()
    with e.uow.read() as tx:
        return reading.year_message(e, tx, year)
