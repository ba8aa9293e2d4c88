"""The assessment office's (考核办) writes to the evaluation service, each once: who may do it, the RPC, the
fields it reads and how its request is built from them. The API (JSON) and the 考核办 page's forms both go
through `send`, so a field is checked the same way whichever sent it (as bulletin_writes.py does for 通报).
Reading the scores is in evaluation_reads.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import g

from duban.evaluation.v1 import evaluation_pb2
from libs.common.dates import parse_date
from libs.common.errors import InvalidInput
from services.gateway.calls import actor, evaluation
from services.gateway.idempotency import write
from services.gateway.present import Reader

# Freezing, a proposal and its acceptance score the year again from the archive; a replay does it twice.
SCORING_TIMEOUT = 120.0
YAML_MAX = 100_000


def day(reader: Reader, name: str) -> str:
    """A YYYY-MM-DD field ("" when left out), checked as a real date."""
    value = reader.text(name, 10)
    if value and name not in reader.errors:
        try:
            parse_date(value, name)
        except InvalidInput as exc:
            reader.errors.update(exc.field_errors)
            return ""
    return value


def _freeze(year: int, _: str, r: Reader) -> evaluation_pb2.FreezeYearRequest:
    return evaluation_pb2.FreezeYearRequest(year=year, as_of=day(r, "as_of"))


def _decide(_: int, adjustment_id: str, r: Reader) -> evaluation_pb2.DecideAdjustmentRequest:
    accept = r.flag("accept")
    if accept is None and "accept" not in r.errors:
        r.errors["accept"] = "请选择计入或不予计入"
    reason = r.text("reason", 2000)
    if not reason.strip() and "reason" not in r.errors:
        r.errors["reason"] = "请填写理由"
    return evaluation_pb2.DecideAdjustmentRequest(adjustment_id=adjustment_id, accept=bool(accept), reason=reason)


def _propose(year: int, _: str, r: Reader) -> evaluation_pb2.ProposeRulesRequest:
    text = r.text("yaml", YAML_MAX)
    if not text.strip() and "yaml" not in r.errors:
        r.errors["yaml"] = "请填写评分规则（YAML）"
    return evaluation_pb2.ProposeRulesRequest(year=year, yaml=text, effective_from=day(r, "effective_from"))


def _accept(year: int, version: str, r: Reader) -> evaluation_pb2.AcceptRulesRequest:
    if not version.isdigit() or not 1 <= int(version) <= 1_000_000:
        r.errors["version"] = "应为评分规则的版本号"
        return evaluation_pb2.AcceptRulesRequest(year=year)
    return evaluation_pb2.AcceptRulesRequest(year=year, version=int(version))


def _replay(year: int, _: str, r: Reader) -> evaluation_pb2.ReplayYearRequest:
    return evaluation_pb2.ReplayYearRequest(year=year, rebuild=bool(r.flag("rebuild")))


Build = Callable[[int, str, Reader], Any]


@dataclass(frozen=True)
class Write:
    permission: str
    method: str
    fields: frozenset[str]
    build: Build  # (year, the id the path names, reader of the fields) -> the RPC's request, without actor


WRITES: dict[str, Write] = {
    "freeze": Write("evaluation.assess", "FreezeYear", frozenset({"as_of"}), _freeze),
    "decide": Write("evaluation.assess", "DecideAdjustment", frozenset({"accept", "reason"}), _decide),
    "propose": Write("evaluation.assess", "ProposeRules", frozenset({"yaml", "effective_from"}), _propose),
    "accept": Write("evaluation.assess", "AcceptRules", frozenset(), _accept),
    "replay": Write("evaluation.replay", "ReplayYear", frozenset({"rebuild"}), _replay),
}


def send(action: str, year: int, target: str, source: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> Any:
    """Build the write from `source` (every field error at once: InvalidInput) and send it with this
    request's idempotency key; `ignore` names fields the sender adds that are not the write's."""
    spec = WRITES[action]
    reader = Reader(source)
    reader.unknown(set(spec.fields | ignore))
    message = spec.build(year, target, reader)
    reader.done()
    message.actor.CopyFrom(actor(g.user))
    return write(evaluation(), spec.method, message, timeout=SCORING_TIMEOUT)
