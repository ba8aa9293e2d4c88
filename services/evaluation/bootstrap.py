"""Composition root of evaluation: settings to real adapters, its servicer, and the consumer of every
other service's stream (archived and scored)."""

from __future__ import annotations

from pathlib import Path

from duban.evaluation.v1 import evaluation_pb2_grpc
from libs.common.calendar import load_calendar
from libs.common.clock import Clock
from libs.common.kafka import Producer
from libs.common.service_app import App
from libs.common.service_table import service
from services.evaluation import consumer, metrics, repository
from services.evaluation.config import Settings
from services.evaluation.context import Evaluation
from services.evaluation.grpc_api import WRITE_METHODS, EvaluationServicer

ROW = service("evaluation")
MIGRATIONS = Path(__file__).with_name("migrations")
EvaluationApp = App[Settings, Evaluation]


def bootstrap(settings: Settings, clock: Clock | None = None, producer: Producer | None = None) -> EvaluationApp:
    app: EvaluationApp = App.build(ROW, settings, MIGRATIONS, clock, producer)
    app.core = evaluation = Evaluation(uow=app.uow, clock=app.clock, calendar=load_calendar(settings.calendar_dir or None),
                                       office_name=settings.office_name)
    # Counted now and kept by the acts that change it (not read on every scrape: a scrape must not query).
    metrics.ADJUSTMENTS_PENDING.set(repository.all_pending(evaluation.uow))
    app.serve(evaluation_pb2_grpc.add_EvaluationServiceServicer_to_server, EvaluationServicer(evaluation),
              WRITE_METHODS)
    app.consume(consumer.GROUP, consumer.handler(evaluation))
    return app
