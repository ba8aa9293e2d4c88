"""Reading the scores (考核得分) as the signed-in user: the evaluation service decides whose scores each reader
sees (services/evaluation/context.py: a unit its own and its people's, a person their own, the office, the
assessment office and leaders everyone's) and leaves the others out. Pages and the API both use this module."""

from __future__ import annotations

import re

from flask import Response

from duban.evaluation.v1 import evaluation_pb2
from libs.common import vocabulary
from libs.common.errors import InvalidInput
from services.gateway.calls import current_actor, evaluation
from services.gateway.evaluation_writes import SCORING_TIMEOUT
from services.gateway.present import Reader, file_response

MIN_YEAR, MAX_YEAR = 2000, 2100  # the years the service keeps
# The service's page token: the last entry's day and id ("YYYY-MM-DD|<id>").
_TOKEN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\|[0-9A-Za-z_.:-]{1,200}")


def year_of(value: str) -> int:
    """The year a path names (2026), or a field error."""
    if not value.isdigit() or not MIN_YEAR <= int(value) <= MAX_YEAR:
        raise InvalidInput(f"bad year {value!r}", {"year": f"应为考核年度（{MIN_YEAR}-{MAX_YEAR}），如 2026"})
    return int(value)


def _choice(reader: Reader, name: str, choices: dict[str, str]) -> str:
    value = reader.text(name, 40)
    if value and value not in choices:
        reader.errors[name] = "应为 " + "、".join(f"{k}（{v}）" for k, v in choices.items()) + " 之一"
        return ""
    return value


def totals_request(year: int, reader: Reader) -> evaluation_pb2.ListTotalsRequest:
    return evaluation_pb2.ListTotalsRequest(year=year, kind=_choice(reader, "kind", vocabulary.SCORE_SUBJECT_KINDS),
                                            unit_id=reader.text("unit_id", 40), actor=current_actor())


def entries_request(year: int, reader: Reader) -> evaluation_pb2.ListEntriesRequest:
    token = reader.text("page_token", 500)
    if token and not _TOKEN.fullmatch(token):
        reader.errors["page_token"] = "应为上一页返回的 next_page_token"
        token = ""
    return evaluation_pb2.ListEntriesRequest(
        year=year, subject_kind=_choice(reader, "subject_kind", vocabulary.SCORE_SUBJECT_KINDS),
        subject_id=reader.text("subject_id", 40), item_id=reader.text("item_id", 40),
        rule=_choice(reader, "rule", vocabulary.SCORE_RULES), page_size=reader.integer("page_size", 100, 1, 500),
        page_token=token, actor=current_actor())


def totals(request: evaluation_pb2.ListTotalsRequest) -> list[evaluation_pb2.SubjectTotal]:
    return list(evaluation().call("ListTotals", request).totals)


def entries(request: evaluation_pb2.ListEntriesRequest) -> evaluation_pb2.ListEntriesResponse:
    reply: evaluation_pb2.ListEntriesResponse = evaluation().call("ListEntries", request)
    return reply


def year(value: int) -> evaluation_pb2.AssessmentYear:
    reply: evaluation_pb2.AssessmentYear = evaluation().call(
        "GetYear", evaluation_pb2.GetYearRequest(year=value, actor=current_actor()))
    return reply


def adjustments(value: int, status: str = "") -> list[evaluation_pb2.Adjustment]:
    return list(evaluation().call("ListAdjustments", evaluation_pb2.ListAdjustmentsRequest(
        year=value, status=status, actor=current_actor())).adjustments)


def rules(value: int, version: int = 0) -> evaluation_pb2.RuleSet:
    reply: evaluation_pb2.RuleSet = evaluation().call(
        "GetRules", evaluation_pb2.GetRulesRequest(year=value, version=version, actor=current_actor()))
    return reply


def rule_versions(value: int) -> list[evaluation_pb2.RuleSet]:
    return list(evaluation().call("ListRuleVersions", evaluation_pb2.GetRulesRequest(
        year=value, actor=current_actor())).versions)


def export_response(value: int, unit_id: str = "", person_id: str = "") -> Response:
    """The year's workbook (XLSX) the user may see: everyone's, one unit's with its people, or one person's;
    a unit or person of which the user sees nothing is 403."""
    return file_response(evaluation().stream("ExportScores", evaluation_pb2.ExportScoresRequest(
        year=value, unit_id=unit_id, person_id=person_id, actor=current_actor()), timeout=SCORING_TIMEOUT))
