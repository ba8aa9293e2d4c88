"""考核 pages: 考核得分 for everyone (the year's totals by 责任单位 / 责任人 / 责任领导, each subject's entries with
their reason, points, rule and the event behind them, the workbook), and the assessment office's 考核办 page
(the year's status and its freeze, the adjustments after it, the rule set in force and a new version's
difference before it is accepted, the replay check). Who sees whose scores is the evaluation service's call."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duban.evaluation.v1 import evaluation_pb2
from libs.common import vocabulary
from libs.common.errors import DomainError
from services.gateway import evaluation_reads, evaluation_writes, roles
from services.gateway.auth import require
from services.gateway.calls import current_actor
from services.gateway.evaluation_reads import MAX_YEAR, MIN_YEAR, year_of
from services.gateway.idempotency import FORM_ONLY
from services.gateway.names import unit_name
from services.gateway.pages import bp
from services.gateway.present import Reader
from services.gateway.problems import status_of

KINDS = tuple(vocabulary.SCORE_SUBJECT_KINDS)
ENTRIES_PAGE = 100
# What the 考核办 page says after an act succeeded (?done=<action>).
DONE = {"freeze": "年度已确认（冻结）：此后的事件进入调整事项，由考核办决定是否计入", "decide": "调整事项已决定",
        "accept": "新版评分规则已采用，年度得分已按新版重新计算"}


@bp.app_template_filter("points")
def points_text(value: float) -> str:
    """A score as people read it: +2、-4.5、0 (at most two decimals)."""
    text = f"{value:+.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("+0", "-0") else text


def _year() -> int:
    value = request.args.get("year", "")
    if value.isdigit() and MIN_YEAR <= int(value) <= MAX_YEAR:
        return int(value)
    return int(current_app.extensions["clock"].today().year)


def _export_scope() -> dict[str, str]:
    """The totals page's workbook: a unit's staff get their unit's (with its people), others all they see."""
    user = g.user
    return {"unit_id": user.unit_id} if user.scope == "unit" and user.unit_id else {}


@bp.get("/scores")
@require("evaluation.read")
def scores_page() -> str:
    year = _year()
    kind = request.args.get("kind", "unit")
    if kind not in KINDS:
        kind = "unit"
    rows = evaluation_reads.totals(evaluation_pb2.ListTotalsRequest(
        year=year, kind=kind, actor=current_actor()))
    status = evaluation_reads.year(year)
    return render_template("assessment/scores.html", year=year, kind=kind, totals=rows, status=status,
                           vocabulary=vocabulary, export=_export_scope(), subject_unit=_subject_unit)


def _subject_unit(subject: evaluation_pb2.Subject) -> str:
    return unit_name(subject.unit_id) if subject.unit_id else ""


@bp.get("/scores/<year>/<kind>/<subject_id>")
@require("evaluation.read")
def score_entries_page(year: str, kind: str, subject_id: str) -> str:
    number = year_of(year)
    if kind not in KINDS:
        abort(404)
    reader = Reader({"subject_kind": kind, "subject_id": subject_id, "page_size": str(ENTRIES_PAGE),
                     "page_token": request.args.get("page_token", "")})
    ask = evaluation_reads.entries_request(number, reader)
    if reader.errors:  # a hand-edited token: the first page
        ask.page_token = ""
    reply = evaluation_reads.entries(ask)
    total = next((t for t in evaluation_reads.totals(evaluation_pb2.ListTotalsRequest(
        year=number, kind=kind, actor=ask.actor)) if t.subject.id == subject_id), None)
    if total is None and not reply.entries:
        abort(404)  # nobody by that id, or not the user's to see: the same answer
    subject = total.subject if total is not None else reply.entries[0].subject
    export = {"unit_id": subject.id} if kind == "unit" else {"person_id": subject.id}
    return render_template("assessment/entries.html", year=number, kind=kind, subject=subject, total=total,
                           entries=reply.entries, next_page_token=reply.next_page_token, vocabulary=vocabulary,
                           export=export, subject_unit=_subject_unit, first=not ask.page_token)


@bp.get("/scores/<year>/export.xlsx")
@require("evaluation.read")
def scores_export(year: str) -> Response:
    return evaluation_reads.export_response(year_of(year), request.args.get("unit_id", "")[:40],
                                            request.args.get("person_id", "")[:40])


# -- 考核办
def render_office(year: int, errors: dict[str, str] | None = None, failed: str = "", **shown: Any) -> str:
    """The page; `shown` carries what an act answers on the page itself (a proposal, a replay)."""
    in_force = evaluation_reads.rules(year)
    versions = evaluation_reads.rule_versions(year)
    form: Any = request.form if request.method == "POST" else {}
    return render_template(
        "assessment/office.html", year=year, status=evaluation_reads.year(year), errors=errors or {}, failed=failed,
        form=form, adjustments=evaluation_reads.adjustments(year), rules=in_force, versions=versions,
        proposed=[v for v in versions if v.status == "proposed"], vocabulary=vocabulary,
        today=current_app.extensions["clock"].today().isoformat(), done=DONE.get(request.args.get("done", ""), ""),
        may_replay=roles.allowed(g.user.roles, "evaluation.replay"), subject_unit=_subject_unit,
        proposal=shown.get("proposal"), replay=shown.get("replay"))


@bp.get("/assessment")
@require("evaluation.assess")
def assessment_office() -> str:
    return render_office(_year())


def _act(action: str, year: int, target: str = "", **fields: str) -> tuple[Any, ResponseReturnValue | None]:
    """Send one of the 考核办's writes from the posted form: (its answer, None), or (None, the page with
    the refusal's field errors)."""
    try:
        return evaluation_writes.send(action, year, target, request.form.to_dict() | fields,
                                      ignore=FORM_ONLY | {"year"}), None
    except DomainError as exc:
        return None, (render_office(year, exc.field_errors or {"form": exc.message}, action), status_of(exc))


@bp.post("/assessment/<year>/freeze")
@require("evaluation.assess")
def assessment_freeze(year: str) -> ResponseReturnValue:
    number = year_of(year)
    _, refused = _act("freeze", number)
    g.audit_target = str(number)
    return refused or redirect(url_for("pages.assessment_office", year=number, done="freeze"))


@bp.post("/assessment/adjustments/<adjustment_id>")
@require("evaluation.assess")
def assessment_decide(adjustment_id: str) -> ResponseReturnValue:
    number = _year_field()
    _, refused = _act("decide", number, adjustment_id)
    g.audit_target = adjustment_id
    return refused or redirect(url_for("pages.assessment_office", year=number, done="decide") + "#h-adjustments")


def _year_field() -> int:
    value = request.form.get("year", "")
    return int(value) if value.isdigit() and MIN_YEAR <= int(value) <= MAX_YEAR else _year()


@bp.post("/assessment/<year>/rules")
@require("evaluation.assess")
def assessment_propose(year: str) -> ResponseReturnValue:
    number = year_of(year)
    proposal, refused = _act("propose", number)
    if refused:
        return refused
    g.audit_target = f"{number}/v{proposal.rules.version}"
    return render_office(number, proposal=proposal)


@bp.post("/assessment/<year>/rules/<version>/accept")
@require("evaluation.assess")
def assessment_accept(year: str, version: str) -> ResponseReturnValue:
    number = year_of(year)
    _, refused = _act("accept", number, version)
    g.audit_target = f"{number}/v{version}"
    return refused or redirect(url_for("pages.assessment_office", year=number, done="accept"))


@bp.post("/assessment/<year>/replay")
@require("evaluation.replay")
def assessment_replay(year: str) -> ResponseReturnValue:
    number = year_of(year)
    replay, refused = _act("replay", number)
    g.audit_target = str(number)
    return refused or render_office(number, replay=replay)
