"""The assessment (考核评分) through the API: a year's totals and entries (/api/v1/scores, only the subjects the
caller may see), its workbook, the year and its freeze (/api/v1/assessment-years), the adjustments after it,
the rule sets (/api/v1/scoring-rules: in force, versions, proposals with their difference, acceptance) and
the replay check. Reads for everyone; the writes are the assessment office's (考核办)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request, url_for

from libs.common import vocabulary
from services.gateway import evaluation_reads, evaluation_writes
from services.gateway.api import bp
from services.gateway.api.inspection import created
from services.gateway.auth import require
from services.gateway.evaluation_reads import year_of
from services.gateway.present import Reader, json_body, to_json


def _body() -> dict[str, Any]:
    return json_body() if request.content_length else {}


@bp.get("/scores/<year>/totals")
@require("evaluation.read")
def list_score_totals(year: str) -> dict[str, Any]:
    reader = Reader(request.args)
    ask = evaluation_reads.totals_request(year_of(year), reader)
    reader.done()
    return {"totals": [to_json(t) for t in evaluation_reads.totals(ask)]}


@bp.get("/scores/<year>/entries")
@require("evaluation.read")
def list_score_entries(year: str) -> dict[str, Any]:
    reader = Reader(request.args)
    ask = evaluation_reads.entries_request(year_of(year), reader)
    reader.done()
    reply = evaluation_reads.entries(ask)
    return {"entries": [to_json(e) for e in reply.entries], "next_page_token": reply.next_page_token}


@bp.get("/scores/<year>/export.xlsx")
@require("evaluation.read")
def export_scores(year: str) -> Response:
    reader = Reader(request.args)
    unit_id, person_id = reader.text("unit_id", 40), reader.text("person_id", 40)
    reader.done()
    return evaluation_reads.export_response(year_of(year), unit_id, person_id)


@bp.get("/assessment-years/<year>")
@require("evaluation.read")
def get_assessment_year(year: str) -> dict[str, Any]:
    return to_json(evaluation_reads.year(year_of(year)))


@bp.post("/assessment-years/<year>/freeze")
@require("evaluation.assess")
def freeze_assessment_year(year: str) -> dict[str, Any]:
    number = year_of(year)
    g.audit_target = str(number)
    return to_json(evaluation_writes.send("freeze", number, "", _body()))


@bp.get("/assessment-years/<year>/adjustments")
@require("evaluation.assess")
def list_adjustments(year: str) -> dict[str, Any]:
    reader = Reader(request.args)
    status = reader.text("status", 20)
    if status and status not in vocabulary.ADJUSTMENT_STATUSES:
        reader.errors["status"] = "应为 " + "、".join(vocabulary.ADJUSTMENT_STATUSES) + " 之一"
    reader.done()
    return {"adjustments": [to_json(a) for a in evaluation_reads.adjustments(year_of(year), status)]}


@bp.post("/adjustments/<adjustment_id>/decision")
@require("evaluation.assess")
def decide_adjustment(adjustment_id: str) -> dict[str, Any]:
    g.audit_target = adjustment_id
    return to_json(evaluation_writes.send("decide", 0, adjustment_id, json_body()))


@bp.get("/scoring-rules/<year>")
@require("evaluation.read")
def get_scoring_rules(year: str) -> dict[str, Any]:
    reader = Reader(request.args)
    version = reader.integer("version", 0, 0, 1_000_000)
    reader.done()
    return to_json(evaluation_reads.rules(year_of(year), version))


@bp.get("/scoring-rules/<year>/versions")
@require("evaluation.read")
def list_scoring_rule_versions(year: str) -> dict[str, Any]:
    return {"versions": [to_json(v) for v in evaluation_reads.rule_versions(year_of(year))]}


@bp.post("/scoring-rules/<year>/proposals")
@require("evaluation.assess")
def propose_scoring_rules(year: str) -> Response:
    number = year_of(year)
    reply = evaluation_writes.send("propose", number, "", json_body())
    g.audit_target = f"{number}/v{reply.rules.version}"
    return created(reply, url_for("api.get_scoring_rules", year=number, version=reply.rules.version))


@bp.post("/scoring-rules/<year>/versions/<version>/accept")
@require("evaluation.assess")
def accept_scoring_rules(year: str, version: str) -> dict[str, Any]:
    number = year_of(year)
    g.audit_target = f"{number}/v{version}"
    return to_json(evaluation_writes.send("accept", number, version, _body()))


@bp.post("/assessment-years/<year>/replay")
@require("evaluation.replay")
def replay_assessment_year(year: str) -> dict[str, Any]:
    number = year_of(year)
    g.audit_target = str(number)
    return to_json(evaluation_writes.send("replay", number, "", _body()))
