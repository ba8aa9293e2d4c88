"""Admin jobs: `replay --year 2026` scores a year again from the archive and says whether it matches what
is held (with --rebuild, writes the replayed entries as the year's next generation)."""

from __future__ import annotations

from duban.evaluation.v1 import evaluation_pb2 as pb
from libs.common.actor import SYSTEM
from services.evaluation import replaying
from services.evaluation.context import Evaluation


def replay(e: Evaluation, year: int, rebuild: bool = False) -> pb.ReplayYearResponse:
    return replaying.replay_year(e, pb.ReplayYearRequest(year=year, rebuild=rebuild), SYSTEM)
