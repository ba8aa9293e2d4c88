"""One light: the ledger's list filter (SQL), the ledger's item light and tracking's light agree for any
deadline, day, raisers (expected reports, overdue rectifications, a source not known yet) and closure -
across holidays, year ends and a year without a table (2027)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from libs.common import lights, vocabulary
from libs.common.calendar import load_calendar
from libs.common.clock import OFFICE_TZ, ManualClock
from services.ledger import repository
from services.ledger.context import Ledger
from services.ledger.domain import DuePolicy
from services.ledger.orm import Base, Item, LightRaiser
from services.tracking import domain as tracking_domain

CAL = load_calendar()
D = dt.date
OTHER = "inspection.other"  # a source this version does not know: it raises to yellow

case = st.fixed_dictionaries({
    "offset": st.integers(-20, 40),  # deadline relative to today
    "reports": st.lists(st.integers(-15, 15), max_size=3),  # expected reports' days relative to today
    # Other services' open obligations: (source, day relative to today).
    "others": st.lists(st.tuples(st.sampled_from([lights.RECTIFICATIONS, OTHER]), st.integers(-15, 15)), max_size=3),
    "status": st.sampled_from(list(vocabulary.STATUSES)),
    "provisional": st.booleans(),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(today=st.dates(min_value=D(2025, 12, 20), max_value=D(2027, 1, 10)), cases=st.lists(case, min_size=1, max_size=8),
       yellow_within=st.integers(0, 4))
def test_filter_item_light_and_tracking_light_agree(today: dt.date, cases: list[dict], yellow_within: int) -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    ledger = Ledger(uow=None, clock=ManualClock(dt.datetime.combine(today, dt.time(10), OFFICE_TZ)),  # type: ignore[arg-type]
                    calendar=CAL, policy=DuePolicy(), item_no_pattern="{year}-{seq}",
                    light_policy=lights.LightPolicy(yellow_within=yellow_within))
    tracking_policy = tracking_domain.TrackingPolicy(light=ledger.light_policy)
    with Session(engine) as session:
        for n, c in enumerate(cases):
            item = Item(id=str(uuid.uuid4()), item_no=f"2026-{n}", year=2026, seq=n, title="t", content="",
                        source="other", category="general", key_tracking=False, lead_unit_id="u",
                        registered_on=today, due_date=today + dt.timedelta(days=c["offset"]),
                        due_date_provisional=c["provisional"], status=c["status"],
                        created_at=ledger.clock.now(), updated_at=ledger.clock.now())
            session.add(item)
            # The ledger's projection: tracking's open reports and the other services' obligations.
            session.add_all(LightRaiser(item_id=item.id, source=tracking_domain.REPORTS, ref_id=f"r{k}",
                                        due_on=today + dt.timedelta(days=d)) for k, d in enumerate(c["reports"]))
            session.add_all(LightRaiser(item_id=item.id, source=source, ref_id=f"o{k}", due_on=today + dt.timedelta(days=d))
                            for k, (source, d) in enumerate(c["others"]))
        session.commit()
        items = list(session.scalars(select(Item)))
        raised = repository.raised_counts(session, [i.id for i in items], today)
        own = {i.id: ledger.light(i, raised.get(i.id)) for i in items}
        listed: dict[str, str] = {}
        for colour in (lights.GREEN, lights.YELLOW, lights.RED):
            query = repository.ItemQuery(light=(colour, *ledger.light_edge()))
            found = {i.id: colour for i in session.scalars(repository.filtered(query))}
            assert not set(found) & set(listed), colour  # one colour per item
            listed |= found
        # A closed item has no light, so no light filter lists it.
        assert listed == {i: light.colour for i, light in own.items() if light.colour}
        for i in items:
            c = cases[i.seq]
            missed = sum(1 for d in c["reports"] if d < 0)
            others = Counter(source for source, d in c["others"] if d < 0)
            closed = i.status in tracking_domain.CLOSED_STATUSES
            theirs = tracking_domain.item_light(CAL, tracking_policy, i.due_date, today, closed, missed,
                                                i.due_date_provisional, dict(others))
            assert theirs == own[i.id]
            if not closed and others[lights.RECTIFICATIONS]:
                assert theirs.colour == lights.RED and "项整改逾期未完成" in theirs.reason
    engine.dispose()

