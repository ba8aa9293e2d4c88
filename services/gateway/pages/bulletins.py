"""通报 pages: the board every role reads (published bulletins; a unit sees where it is named), one bulletin
with its text, totals, per-unit table and chart, the office's editor (keep, edit or strike the suggested
通报表扬 / 通报批评, the text, the problems to be fixed and their deadlines), the principal leader's
approval page (approve the files whose SHA-256 it shows, or return with comments), and the 清零 page."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from flask import Response, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from duban.notification.v1 import notification_pb2
from libs.common import vocabulary
from libs.common.errors import DomainError
from services.gateway import bulletin_writes, roles
from services.gateway.api.bulletins import document_response, list_request
from services.gateway.auth import require
from services.gateway.bulletin_forms import SPARE_ROWS, edit_fields, editor_values
from services.gateway.bulletin_reads import check_target, clearance_of, named_here, visible_bulletin
from services.gateway.calls import directory, notification
from services.gateway.idempotency import FORM_ONLY
from services.gateway.pages import bp
from services.gateway.present import Reader
from services.gateway.problems import status_of

logger = logging.getLogger(__name__)

# ECharts, from npm (pinned in the Makefile and the Dockerfile), never committed: .tools/ is git-ignored.
ROOT = Path(__file__).resolve().parents[3]
ECHARTS = ROOT / ".tools" / "echarts" / "node_modules" / "echarts" / "dist" / "echarts.min.js"
BOARD_PAGE = 50  # published bulletins per page of the board
IN_WORK_SHOWN = 100  # bulletins in work listed above them (a handful at any time; the REST list pages them all)
# What the bulletin page says after an act succeeded (?done=<action>).
DONE = {"generate": "通报已起草，请核对后修改、报批", "existing": "该期通报已经起草过，以下是原通报（未重复起草）",
        "edit": "修改已保存", "submit": "已报主要领导审批", "approve": "已批准，待督查室印发", "return": "已退回督查室修改",
        "publish": "已印发，见通报栏", "clearance": "清零报告已起草", "receipt": "考核办备案回执已记录"}
PAGE_ACTS = ("submit", "approve", "return", "publish")


def _board_query() -> tuple[notification_pb2.ListBulletinsRequest, bool]:
    """The board's filters from the query (a bad value is left out, not an error page), and 只看点名本单位."""
    args = {k: v for k, v in request.args.items() if k in ("kind", "year", "page_token")}
    reader = Reader(args)
    ask = list_request(reader)
    if reader.errors:
        ask = list_request(Reader({}))
    mine = request.args.get("mine") == "1" and bool(g.user.unit_id)
    if mine:
        ask.named_unit_id = g.user.unit_id
    return ask, mine


def _board(errors: dict[str, str] | None = None, form: object = None) -> str:
    """The board: the published bulletins, a page of BOARD_PAGE at a time, and above them on its first page
    every bulletin still in work that this user may see (the service decides which: drafts for the office,
    those submitted to the principal leader for him, a department's internal ones for it) - two lists, so
    a year of published issues never pushes a draft off the page."""
    ask, mine = _board_query()
    ask.status, ask.page_size = vocabulary.BULLETIN_STATUS_PUBLISHED, BOARD_PAGE
    published = notification().call("ListBulletins", ask)
    in_work: list[notification_pb2.Bulletin] = []
    if not ask.page_token and not mine:
        work = notification_pb2.ListBulletinsRequest(kind=ask.kind, year=ask.year, status=vocabulary.BULLETIN_IN_WORK,
                                                     page_size=IN_WORK_SHOWN, actor=ask.actor)
        in_work = list(notification().call("ListBulletins", work).bulletins)
    may_draft = roles.allowed(g.user.roles, "bulletins.draft")
    return render_template("bulletins/board.html", published=published.bulletins, in_work=in_work, mine=mine,
                           kind=ask.kind, next_page_token=published.next_page_token, named_here=named_here,
                           vocabulary=vocabulary, may_draft=may_draft,
                           periods=default_periods(current_app.extensions["clock"].today()),
                           units=directory()[0] if may_draft else [], errors=errors or {}, form=form or {})


@bp.get("/bulletins")
@require("bulletins.read")
def bulletin_board() -> str:
    return _board()


def default_periods(today: dt.date) -> dict[str, str]:
    """The last ended period of each kind, as the generate form proposes it."""
    quarter = (today.month - 1) // 3  # the current quarter's index; the last ended is the one before
    q_year, q = (today.year, quarter) if quarter else (today.year - 1, 4)
    h_year, h = (today.year, 1) if today.month > 6 else (today.year - 1, 2)
    m_year, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return {"quarterly": f"{q_year}Q{q}", "semiannual": f"{h_year}H{h}", "monthly": f"{m_year}-{m:02d}", "special": ""}


@bp.post("/bulletins/new")
@require("bulletins.draft")
def bulletin_generate() -> ResponseReturnValue:
    try:
        reply = bulletin_writes.send("generate", "", request.form, ignore=FORM_ONLY)
    except DomainError as exc:
        return _board(exc.field_errors or {"form": exc.message}, request.form), status_of(exc)
    g.audit_target = reply.bulletin.id
    done = "existing" if reply.existing else "generate"
    return redirect(url_for("pages.bulletin_page", bulletin_id=reply.bulletin.id, done=done))


def render_bulletin(bulletin_id: str, errors: dict[str, str] | None = None, failed: str = "") -> str:
    bulletin = visible_bulletin(bulletin_id)
    return render_template("bulletins/bulletin.html", b=bulletin, errors=errors or {}, failed=failed,
                           form=request.form, vocabulary=vocabulary, named=named_here(bulletin),
                           done=DONE.get(request.args.get("done", ""), ""))


@bp.get("/bulletins/<bulletin_id>")
@require("bulletins.read")
def bulletin_page(bulletin_id: str) -> str:
    return render_bulletin(bulletin_id)


@bp.post("/bulletins/<bulletin_id>/act/<action>")
@require()
def bulletin_act(bulletin_id: str, action: str) -> ResponseReturnValue:
    if action not in PAGE_ACTS:
        abort(404)
    if not roles.allowed(g.user.roles, bulletin_writes.WRITES[action].permission):
        abort(403)
    check_target("bulletin", bulletin_id)
    try:
        bulletin_writes.send(action, bulletin_id, request.form, ignore=FORM_ONLY)
    except DomainError as exc:
        errors = exc.field_errors or {"form": exc.message}
        if action in ("approve", "return"):
            return render_approval(bulletin_id, errors, action), status_of(exc)
        return render_bulletin(bulletin_id, errors, action), status_of(exc)
    g.audit_target = bulletin_id
    return redirect(url_for("pages.bulletin_page", bulletin_id=bulletin_id, done=action))


def _editor(bulletin: notification_pb2.Bulletin, errors: dict[str, str], status: int) -> ResponseReturnValue:
    units, people = directory()
    posted = request.form if request.method == "POST" else None
    return render_template("bulletins/editor.html", b=bulletin, v=editor_values(bulletin, posted), errors=errors,
                           units=[u for u in units if u.active], leaders=[p for p in people if p.active and p.role == "leader"],
                           vocabulary=vocabulary, spare=range(SPARE_ROWS)), status


@bp.route("/bulletins/<bulletin_id>/edit", methods=["GET", "POST"])
@require("bulletins.draft")
def bulletin_edit(bulletin_id: str) -> ResponseReturnValue:
    bulletin = visible_bulletin(bulletin_id)
    if request.method == "POST":
        fields = edit_fields(request.form)
        for name in ("opening", "closing"):  # the system's text left as it was stays the system's
            if not getattr(bulletin, name) and fields[name].strip() == getattr(bulletin, f"draft_{name}").strip():
                fields[name] = ""
        try:
            bulletin_writes.send("edit", bulletin.id, fields)
        except DomainError as exc:
            return _editor(bulletin, exc.field_errors or {"form": exc.message}, status_of(exc))
        if request.form.get("then") == "submit":
            try:
                bulletin_writes.send("submit", bulletin.id, {})
            except DomainError as exc:
                return render_bulletin(bulletin.id, exc.field_errors or {"form": exc.message}, "submit"), status_of(exc)
            return redirect(url_for("pages.bulletin_page", bulletin_id=bulletin.id, done="submit"))
        return redirect(url_for("pages.bulletin_page", bulletin_id=bulletin.id, done="edit"))
    return _editor(bulletin, {}, 200)


def render_approval(bulletin_id: str, errors: dict[str, str] | None = None, failed: str = "") -> str:
    return render_template("bulletins/approval.html", b=visible_bulletin(bulletin_id), errors=errors or {},
                           failed=failed, form=request.form, vocabulary=vocabulary)


@bp.get("/bulletins/<bulletin_id>/approval")
@require("bulletins.approve")
def bulletin_approval(bulletin_id: str) -> str:
    return render_approval(bulletin_id)


@bp.get("/bulletins/<bulletin_id>/documents/<fmt>")
@require("bulletins.read")
def bulletin_download(bulletin_id: str, fmt: str) -> Response:
    return document_response(bulletin_id, fmt, inline=fmt == "chart")


# -- 清零
def _year() -> int:
    value = request.values.get("year", "")
    today = current_app.extensions["clock"].today()
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2999 else today.year


def render_clearance(year: int, errors: dict[str, str] | None = None, failed: str = "") -> str:
    return render_template("bulletins/clearance.html", year=year, b=clearance_of(year), errors=errors or {},
                           failed=failed, form=request.form, vocabulary=vocabulary,
                           today=current_app.extensions["clock"].today().isoformat(),
                           done=DONE.get(request.args.get("done", ""), ""))


@bp.get("/clearance")
@require("bulletins.read")
def clearance_page() -> str:
    return render_clearance(_year())


@bp.post("/clearance")
@require("bulletins.draft")
def clearance_generate() -> ResponseReturnValue:
    year = _year()
    try:
        bulletin_writes.send("clearance", "", {"year": str(year)} | (
            {"as_of": request.form["as_of"]} if request.form.get("as_of") else {}))
    except DomainError as exc:
        return render_clearance(year, exc.field_errors or {"form": exc.message}, "clearance"), status_of(exc)
    return redirect(url_for("pages.clearance_page", year=year, done="clearance"))


@bp.post("/clearance/receipt")
@require("bulletins.receipt")
def clearance_receipt() -> ResponseReturnValue:
    year = _year()
    found = clearance_of(year)
    if found is None:
        abort(404)
    try:
        bulletin_writes.send("receipt", found.id, request.form, ignore=FORM_ONLY | {"year"})
    except DomainError as exc:
        return render_clearance(year, exc.field_errors or {"form": exc.message}, "receipt"), status_of(exc)
    g.audit_target = found.id
    return redirect(url_for("pages.clearance_page", year=year, done="receipt"))


@bp.get("/vendor/echarts.min.js")
def echarts() -> Response:
    """ECharts for the bulletin's chart. Without it (not fetched) the page still has the table."""
    if not ECHARTS.exists():
        logger.warning("ECharts is missing at %s: run `make %s`", ECHARTS, ECHARTS.relative_to(ROOT))
        abort(404)
    return send_file(ECHARTS, mimetype="text/javascript", max_age=86400)
