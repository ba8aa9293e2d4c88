"""One light: the ledger's list filter (SQL), the ledger's item light, tracking's light and tracking's
lights list and board (SQL) agree for any deadline, day, raisers (expected reports, overdue
rectifications, a source not known yet) and closure - across holidays, year ends and a year without a
table (2027)."""

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
from libs.common.db import UnitOfWorkFactory, make_engine
from services.ledger import repository
from services.ledger.context import Ledger
from services.ledger.domain import DuePolicy
from services.ledger.orm import Base, Item, LightRaiser
from services.tracking import domain as tracking_domain
from services.tracking import lights_board
from services.tracking import orm as tracking_orm
from services.tracking.context import Tracking

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
    _tracking_sql_agrees(today, cases, tracking_policy, {i.seq: own[i.id] for i in items})


def _tracking_sql_agrees(today: dt.date, cases: list[dict], policy: tracking_domain.TrackingPolicy,
                         own: dict[int, lights.Light]) -> None:
    """Tracking's ListLights (each light filter) and LightBoard, computed in SQL from its own rows
    (expected reports, item_raisers), give every open item the light item_light gives it."""
    engine = make_engine("sqlite://")
    tracking_orm.Base.metadata.create_all(engine)
    clock = ManualClock(dt.datetime.combine(today, dt.time(10), OFFICE_TZ))
    tracking = Tracking(uow=UnitOfWorkFactory(engine), clock=clock, calendar=CAL, policy=policy,
                        storage=None)  # type: ignore[arg-type]
    ids = {}
    with Session(engine) as session:
        for n, c in enumerate(cases):
            item_id = ids[n] = str(uuid.uuid4())
            due = today + dt.timedelta(days=c["offset"])
            session.add(tracking_orm.Assignment(
                item_id=item_id, item_no=f"2026-{n:03d}", title="t", category="general", registered_on=today,
                notice_due_on=today, original_due_date=due, due_date=due, due_date_provisional=c["provisional"],
                status=c["status"], lead_unit_id=f"u{n % 2}", lead_unit_name=f"单位{n % 2}", created_at=clock.now(),
                updated_at=clock.now()))
            session.add_all(tracking_orm.ExpectedReport(
                id=str(uuid.uuid4()), item_id=item_id, unit_id="u", period="weekly", period_start=today,
                due_on=today + dt.timedelta(days=d), status="expected") for d in c["reports"])
            session.add_all(tracking_orm.ItemRaiser(item_id=item_id, source=source, ref_id=f"o{k}",
                                                    due_on=today + dt.timedelta(days=d))
                            for k, (source, d) in enumerate(c["others"]))
        session.commit()
    by_id = {ids[n]: light for n, light in own.items()}
    wanted = {item_id: light for item_id, light in by_id.items() if light.colour}  # closed: not listed
    every, _, _, _ = lights_board.list_lights(tracking, [], "", "", "", 5000, "")
    assert {i.item_id: (i.light, i.light_reason) for i in every} == {
        item_id: (light.colour, light.reason) for item_id, light in wanted.items()}
    for colour in (lights.GREEN, lights.YELLOW, lights.RED):
        filtered, _, total, _ = lights_board.list_lights(tracking, [], "", colour, "", 5000, "")
        assert {i.item_id for i in filtered} == {i for i, light in wanted.items() if light.colour == colour}, colour
        assert total == len(filtered)
    rows, total_row, _ = lights_board.light_board(tracking, [], "")
    counted = Counter(light.colour for light in wanted.values())
    assert (total_row.red, total_row.yellow, total_row.green) == (counted["red"], counted["yellow"], counted["green"])
    for row in rows:
        mine = Counter(light.colour for n, light in own.items() if light.colour and f"u{n % 2}" == row.unit_id)
        assert (row.red, row.yellow, row.green) == (mine["red"], mine["yellow"], mine["green"]), row
    engine.dispose()
