"""A year scored again from the archive (the same interpreter as the live path, in memory), compared
with the entries held - and, on request or when new rules are accepted, written as the year's next
generation. What it writes is a projection: the archive is the record."""

from __future__ import annotations

import time

from sqlalchemy import select

from duban.evaluation.v1 import evaluation_pb2 as pb
from libs.common.actor import Actor
from libs.common.db import UnitOfWork, insert_new
from libs.common.errors import InvalidInput
from services.evaluation import context, domain, events, metrics, recording, repository, scoring, xlsx_export
from services.evaluation.context import Evaluation
from services.evaluation.domain import Subject
from services.evaluation.live_book import entry_row, facts_to_json
from services.evaluation.orm import Adjustment, ArchivedEvent, ItemRow, Total
from services.evaluation.replay_book import ReplayBook
from services.evaluation.rule_sets import RuleSet
from services.evaluation.scoring import Archived
from services.evaluation.xlsx_export import Line


def cause_words(a: Archived | ArchivedEvent) -> str:
    return scoring.cause_words(a)  # type: ignore[arg-type]  # the same five fields on either


def replay(e: Evaluation, tx: UnitOfWork, year: int, versions: list[RuleSet] | None = None) -> tuple[ReplayBook, int]:
    """The year's entries from the whole archive (facts of earlier years' events included), with the
    year's accepted rule versions or the `versions` given; and how many events were read."""
    book = ReplayBook(e.calendar, {year: versions if versions is not None else repository.accepted(tx, year)},
                      frozenset({year}), lambda other: repository.accepted(tx, other))
    n = 0
    for archived in repository.archive_in_order(tx):
        scoring.apply(book, archived)
        n += 1
    metrics.REPLAY_EVENTS.inc(n)
    return book, n


def replayed_lines(book: ReplayBook, calendar_version: str) -> list[Line]:
    return [Line(k.draft.subject.kind, k.draft.subject.id, k.draft.subject.name, k.draft.subject.unit_id,
                 k.draft.item_no, k.draft.rule, k.draft.rule_version, k.draft.points_centi, k.draft.day,
                 k.draft.explanation, k.state, k.cause, calendar_version, k.draft.id)
            for k in book.kept()]


def held_lines(tx: UnitOfWork, year: int, generation: int) -> list[Line]:
    rows = repository.entries_of(tx, year, generation)
    causes = causes_of(tx, [r.cause_seq for r in rows])
    return [Line(r.subject_kind, r.subject_id, r.subject_name, r.subject_unit_id, r.item_no, r.rule, r.rule_version,
                 r.points_centi, r.day, r.explanation, r.state, cause_words(causes[r.cause_seq]), r.calendar_version,
                 r.id) for r in rows]


def causes_of(tx: UnitOfWork, seqs: list[int]) -> dict[int, ArchivedEvent]:
    out: dict[int, ArchivedEvent] = {}
    wanted = sorted(set(seqs))
    for i in range(0, len(wanted), 500):
        for row in tx.session.scalars(select(ArchivedEvent).where(ArchivedEvent.seq.in_(wanted[i:i + 500]))):
            out[row.seq] = row
    return out


def diff(before: list[Line], after: list[Line]) -> list[pb.SubjectDiff]:
    """The subjects whose totals differ, with both totals."""
    b = {(t.kind, t.id): t for t in xlsx_export.totals_of(before)}
    a = {(t.kind, t.id): t for t in xlsx_export.totals_of(after)}
    out = []
    for key in sorted(set(a) | set(b)):
        tb, ta = b.get(key), a.get(key)
        vb, va = (tb.total_centi if tb else 0), (ta.total_centi if ta else 0)
        if vb != va:
            t = ta or tb
            assert t is not None
            out.append(pb.SubjectDiff(subject=pb.Subject(kind=t.kind, id=t.id, name=t.name, unit_id=t.unit_id),
                                      before=domain.as_points(vb), after=domain.as_points(va)))
    return out


def write_generation(e: Evaluation, tx: UnitOfWork, year: int, book: ReplayBook) -> int:
    """The replayed entries and their totals as the year's next generation (the old one kept), the items'
    facts as replayed; pending adjustments follow their entries; each subject whose total moved gets
    score.changed."""
    row = repository.year(tx, year, lock=True)
    old = row.generation
    new = old + 1
    before = held_lines(tx, year, old)
    rows: list[object] = [entry_row(k.draft, new, k.state, k.cause_seq, e.calendar.version) for k in book.kept()]
    insert_new(tx.session, rows)
    recording.keep_calendar(e, tx)
    for (y, kind, sid), (total, plus, minus, count) in sorted(book.totals().items()):
        first = next(k.draft.subject for k in book.kept()
                     if k.draft.subject.kind == kind and k.draft.subject.id == sid)
        tx.session.add(Total(year=y, generation=new, subject_kind=kind, subject_id=sid, subject_name=first.name,
                             subject_unit_id=first.unit_id, total_centi=total, plus_centi=plus, minus_centi=minus,
                             entries=count))
    for item in book.items.values():  # the facts are a projection of the archive too
        tx.session.merge(ItemRow(item_id=item.item_id, year=item.year, facts=facts_to_json(item)))
    for adj in tx.session.scalars(select(Adjustment).where(Adjustment.year == year, Adjustment.generation == old)):
        adj.generation = new
    row.generation = new
    now = e.now()
    version = max((k.draft.rule_version for k in book.kept()), default=1)
    for d in diff(before, replayed_lines(book, e.calendar.version)):
        subject = Subject(d.subject.kind, d.subject.id, d.subject.name, d.subject.unit_id)
        tx.publish(events.score_changed(subject, year, None, round(d.after * 100), version, now))
    return new


def replay_year(e: Evaluation, request: pb.ReplayYearRequest, actor: Actor) -> pb.ReplayYearResponse:
    context.require(actor, "evaluation.replay", "只有考核办可以重算考核年度")
    if not 2000 <= request.year <= 2100:
        raise InvalidInput(f"bad year {request.year}", {"year": "请填写考核年度（如2026）"})
    started = time.perf_counter()
    with (e.uow() if request.rebuild else e.uow.read()) as tx:
        held = held_lines(tx, request.year, repository.peek_year(tx, request.year).generation)
        book, n = replay(e, tx, request.year)
        lines = replayed_lines(book, e.calendar.version)
        data = xlsx_export.workbook(request.year, "全区", lines, {})
        changes = diff(held, lines)
        identical = sorted(held, key=lambda ln: ln.entry_id) == sorted(lines, key=lambda ln: ln.entry_id)
        if request.rebuild:
            write_generation(e, tx, request.year, book)
            tx.commit()
    seconds = time.perf_counter() - started
    metrics.REPLAY_SECONDS.observe(seconds)
    return pb.ReplayYearResponse(year=request.year, events=n, entries=len(lines), identical=identical, diff=changes,
                                 seconds=seconds, export_sha256=xlsx_export.digest(data))

