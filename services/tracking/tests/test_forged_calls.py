"""A script on the same machine calls tracking directly, without the gateway (issue 11, point 2): as a
made-up office user it once read items and urged a unit. Now every call needs a token signed by a key
the service trusts, and the actor is the one the token proves, whatever the request says."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from duban.common.v1 import common_pb2
from duban.tracking.v1 import tracking_pb2, tracking_pb2_grpc
from libs.common import call_auth
from libs.common.actor import Actor
from libs.common.outbox import outbox
from libs.common.testing import call_keys, signed_channel
from services.tracking.tests.conftest import Pair
from services.tracking.tests.test_idempotency import item_at

FORGED = common_pb2.Actor(user_id="999", name="伪造督查室", role="office", unit_id="dcs")


def urge(item_id: str) -> tracking_pb2.UrgeUnitRequest:
    return tracking_pb2.UrgeUnitRequest(item_id=item_id, unit_id="fgj", method="phone", text="伪造的电话督办",
                                        actor=FORGED)


def urged_events(pair: Pair) -> int:
    with pair.app.parts.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.headers.contains("item.urged"))).scalar_one()


def refused(reason: str) -> float:
    return REGISTRY.get_sample_value("duban_grpc_calls_refused_total",
                                     {"service": "tracking", "reason": reason}) or 0.0


def code_of(call) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code()


def test_a_call_without_a_valid_token_is_refused_and_changes_nothing(pair: Pair) -> None:
    item_id = item_at(pair, "notified")
    address = f"127.0.0.1:{pair.app.server.port}"  # type: ignore[union-attr]
    before, missing = urged_events(pair), refused("missing")

    with grpc.insecure_channel(address) as bare:  # what the attacker's script did
        stub = tracking_pb2_grpc.TrackingServiceStub(bare)
        assert code_of(lambda: stub.UrgeUnit(urge(item_id), timeout=10)) == grpc.StatusCode.UNAUTHENTICATED
        assert code_of(lambda: stub.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item_id), timeout=10)
                       ) == grpc.StatusCode.UNAUTHENTICATED
        assert code_of(lambda: list(stub.GetDocument(tracking_pb2.GetDocumentRequest(item_id=item_id, kind="notice"),
                                                     timeout=10))) == grpc.StatusCode.UNAUTHENTICATED
        # Health probes carry no token and still work.
        health = health_pb2_grpc.HealthStub(bare).Check(health_pb2.HealthCheckRequest(), timeout=5)  # type: ignore[attr-defined]  # types-grpcio-health-checking's HealthStub declares no methods
        assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert refused("missing") >= missing + 3

    # A key of its own making, even under the gateway's name and key id: not in the trusted set.
    stranger, _ = call_auth.generate("gateway", "gateway-1", people=True)
    with call_auth.signed_channel(address, stranger, "tracking") as forged:
        stub = tracking_pb2_grpc.TrackingServiceStub(forged)
        assert code_of(lambda: stub.UrgeUnit(urge(item_id), timeout=10)) == grpc.StatusCode.UNAUTHENTICATED

    # A token made for the ledger is no token for tracking.
    with signed_channel(address, "ledger") as wrong_audience:
        stub = tracking_pb2_grpc.TrackingServiceStub(wrong_audience)
        assert code_of(lambda: stub.UrgeUnit(urge(item_id), timeout=10)) == grpc.StatusCode.UNAUTHENTICATED
    assert urged_events(pair) == before


def test_the_token_decides_who_acts_not_the_request(pair: Pair) -> None:
    item_id = item_at(pair, "notified")
    address = f"127.0.0.1:{pair.app.server.port}"  # type: ignore[union-attr]
    before = urged_events(pair)
    # Signed by a trusted service key: the service acts as itself (system), whatever actor the request
    # names, and urging is the office's act, not a service's.
    with signed_channel(address, "tracking", issuer="ledger") as as_ledger:
        stub = tracking_pb2_grpc.TrackingServiceStub(as_ledger)
        assert code_of(lambda: stub.UrgeUnit(urge(item_id), timeout=10)) == grpc.StatusCode.PERMISSION_DENIED
    assert urged_events(pair) == before
    # The gateway's token names the real office user: the urge is recorded as theirs, not the request's.
    real = Actor(user_id="1", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
    with call_auth.signed_channel(address, call_keys().signer("gateway"), "tracking", lambda request: real) as ch:
        answer = tracking_pb2_grpc.TrackingServiceStub(ch).UrgeUnit(urge(item_id), timeout=10).assignment
    assert urged_events(pair) == before + 1
    assert answer.office_urges[-1].by.name == "王芳"


def test_a_request_that_names_nobody_is_judged_by_its_token(pair: Pair) -> None:
    """RunSweeps carries no actor: the token's person decides. Unit staff may not run the office's job."""
    address = f"127.0.0.1:{pair.app.server.port}"  # type: ignore[union-attr]
    staff = Actor(user_id="2", name="陈静", role="unit_staff", unit_id="fgj", person_id="st-chen")
    with call_auth.signed_channel(address, call_keys().signer("gateway"), "tracking", lambda request: staff) as ch:
        stub = tracking_pb2_grpc.TrackingServiceStub(ch)
        assert code_of(lambda: stub.RunSweeps(tracking_pb2.RunSweepsRequest(), timeout=30)
                       ) == grpc.StatusCode.PERMISSION_DENIED
