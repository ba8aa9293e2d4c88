"""The services of the system, one row each: the single place a new service is named.

`scripts/stack.py` (make run, the stack tests), the test fixtures, the gateway's clients and settings
and the Helm chart's values (checked by tests/deploy/test_helm_chart.py) are all derived from this
table, so adding a service means its folder, its proto and one row here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from libs.common import topics


@dataclass(frozen=True)
class ServiceRow:
    name: str  # package under services/, DUBAN_SERVICE, the chart's services.<name>
    grpc_service: str  # full proto name of its gRPC service
    stub: str  # "module:Class" of the generated stub the gateway calls it with
    grpc_port: int  # preferred port in the embedded stack (any free one is taken when it is busy)
    metrics_port: int  # the same, for /metrics
    topic: str  # the topic it publishes its events on
    consumes: tuple[str, ...] = ()  # the topics it reads

    @property
    def addr_env(self) -> str:
        """The gateway's setting naming where the service listens, e.g. DUBAN_LEDGER_ADDR."""
        return f"DUBAN_{self.name.upper()}_ADDR"

    def stub_class(self) -> type:
        module, name = self.stub.split(":")
        return getattr(importlib.import_module(module), name)


SERVICES: tuple[ServiceRow, ...] = (
    ServiceRow("ledger", "duban.ledger.v1.LedgerService", "duban.ledger.v1.ledger_pb2_grpc:LedgerServiceStub",
               50051, 9101, topics.LEDGER_EVENTS,
               (topics.TRACKING_EVENTS, topics.INSPECTION_EVENTS, topics.EVALUATION_EVENTS)),
    ServiceRow("tracking", "duban.tracking.v1.TrackingService",
               "duban.tracking.v1.tracking_pb2_grpc:TrackingServiceStub",
               50052, 9102, topics.TRACKING_EVENTS, (topics.LEDGER_EVENTS, topics.INSPECTION_EVENTS)),
    ServiceRow("inspection", "duban.inspection.v1.InspectionService",
               "duban.inspection.v1.inspection_pb2_grpc:InspectionServiceStub",
               50053, 9103, topics.INSPECTION_EVENTS, (topics.LEDGER_EVENTS, topics.TRACKING_EVENTS)),
    ServiceRow("notification", "duban.notification.v1.NotificationService",
               "duban.notification.v1.notification_pb2_grpc:NotificationServiceStub",
               50054, 9104, topics.NOTIFICATION_EVENTS,
               (topics.LEDGER_EVENTS, topics.TRACKING_EVENTS, topics.INSPECTION_EVENTS)),
    ServiceRow("evaluation", "duban.evaluation.v1.EvaluationService",
               "duban.evaluation.v1.evaluation_pb2_grpc:EvaluationServiceStub",
               50055, 9105, topics.EVALUATION_EVENTS,
               (topics.LEDGER_EVENTS, topics.TRACKING_EVENTS, topics.INSPECTION_EVENTS, topics.NOTIFICATION_EVENTS)),
)

# The gateway is no gRPC service: it serves HTTP and calls every row above.
GATEWAY_HTTP_PORT = 8000
GATEWAY_METRICS_PORT = 9100


def service(name: str) -> ServiceRow:
    for row in SERVICES:
        if row.name == name:
            return row
    raise KeyError(f"no service {name!r} in libs/common/service_table.py")
