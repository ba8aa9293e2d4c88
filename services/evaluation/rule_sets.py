"""A year's scoring rules as data: YAML an assessment office edits, checked against rules.schema.json,
read into a RuleSet the domain scores with. Nothing here knows what a rule means (domain.py does)."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import yaml

from libs.common.errors import InvalidInput

RULES_DIR = Path(__file__).with_name("rules")
DEFAULT_YAML = RULES_DIR / "default.yaml"
ALL_SUBJECTS = ("unit", "person", "leader")


@dataclass(frozen=True)
class Rule:
    code: str
    points_centi: int  # hundredths of a point: sums stay exact
    cap_centi: int  # per-day rules stop here (0: no cap)
    subjects: tuple[str, ...]


@dataclass(frozen=True)
class RuleSet:
    version: int
    effective_from: str  # YYYY-MM-DD: facts from this day on are scored with it
    rules: dict[str, Rule]
    key_tracking_weight: float
    lead_share: float
    co_share: float
    sha256: str

    def rule(self, code: str) -> Rule | None:
        """None for a rule the version leaves out: nothing is scored for it."""
        return self.rules.get(code)


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((RULES_DIR / "rules.schema.json").read_text(encoding="utf-8"))
    return loaded


def centi(value: float) -> int:
    return int(round(float(value) * 100))


def parse(text: str, version: int = 1, effective_from: str = "") -> RuleSet:
    """The rule set a YAML text says, or InvalidInput naming the place at fault (field `yaml`)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput("评分规则不是有效的 YAML", {"yaml": f"YAML 格式错误：{exc}"}) from None
    errors = sorted(jsonschema.Draft202012Validator(schema()).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(根)"
        raise InvalidInput("评分规则不符合格式要求", {"yaml": f"{where}: {errors[0].message}"})
    rules = {
        code: Rule(code, centi(body["points"]), centi(body.get("cap", 0)), tuple(body.get("subjects", ALL_SUBJECTS)))
        for code, body in doc["rules"].items()
    }
    weights = doc["weights"]
    return RuleSet(version, effective_from, rules, float(weights["key_tracking"]), float(weights["lead_share"]),
                   float(weights["co_share"]), hashlib.sha256(text.encode()).hexdigest())


def default_text() -> str:
    return DEFAULT_YAML.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=256)
def parsed(text: str, version: int, effective_from: str) -> RuleSet:
    """parse, remembered: every event scored reads its year's rule set."""
    return parse(text, version, effective_from)


def default_for(year: int) -> RuleSet:
    """Version 1 of a year nobody has set rules for: the default file, from 1 January."""
    return parsed(default_text(), 1, f"{year}-01-01")
