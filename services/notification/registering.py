"""Problems a published bulletin requires fixed become ledger items of source 7 (督查通报要求整改事项,
bulletin_rectification), registered through the ledger's gRPC as the notification service. Each is
registered once: its keys (the call's idempotency key and the ledger's request_id, kept forever) are made
of the bulletin and the problem, so a publish retried after a crash - or after the ledger answered but
before this service wrote the answer down - gets the item made the first time. The item keeps the
bulletin's id (origin_bulletin_id), the requirement keeps the item's: linked both ways."""

from __future__ import annotations

import grpc

from duban.ledger.v1 import ledger_pb2
from libs.common.actor import Actor
from libs.common.grpc_errors import from_rpc_error
from libs.common.idempotency_grpc import METADATA_KEY
from services.notification import metrics, repository
from services.notification.context import Notification

TITLE_MAX = 200


def client_key(bulletin_id: str, requirement_id: str) -> str:
    """The key a problem's registration is made under (at most 64 characters: the ledger's request_id)."""
    return f"bulletin:{bulletin_id}:{requirement_id}"


def register_requirements(n: Notification, bulletin_id: str, actor: Actor) -> int:
    """Register the bulletin's problems not registered yet; how many were registered now."""
    with n.uow.read() as tx:
        b = repository.get(tx, bulletin_id)
        pending = [(r.id, r.unit_id, r.unit_name, r.text, r.due_date, r.working_days, r.leader_id, r.item_no)
                   for r in b.requirements if not r.registered_item_id]
        title, document_no = b.title, b.document_no
    today = n.today()
    stub = n.ledger()
    done = 0
    for req_id, unit_id, unit_name, text, due, working_days, leader_id, item_no in pending:
        due = due or n.calendar.add_working_days(today, working_days)
        key = client_key(bulletin_id, req_id)
        ask = ledger_pb2.RegisterItemRequest(
            title=f"整改{unit_name}督查通报问题：{text}"[:TITLE_MAX], content=text, source="bulletin_rectification",
            category="general", lead_unit_id=unit_id, responsible_leader_id=leader_id, due_date=due.isoformat(),
            due_date_reason=f"督查通报{document_no}限时整改要求",
            remarks=f"由《{title}》（{document_no}）要求限时整改" + (f"，涉及事项{item_no}" if item_no else ""),
            request_id=key, origin_bulletin_id=bulletin_id, actor=actor.to_proto())
        try:
            answer = stub.RegisterItem(ask, metadata=[(METADATA_KEY, key)],  # type: ignore[attr-defined]
                                       timeout=n.ledger_timeout_seconds)
        except grpc.RpcError as error:  # the ledger's refusal keeps its fields and words; a failure stays one
            metrics.RECTIFICATION_ITEMS.labels("failed").inc()
            refusal = from_rpc_error(error)
            if refusal is None:
                raise
            raise refusal from error
        with n.uow() as tx:
            b = repository.get(tx, bulletin_id, lock=True)
            for r in b.requirements:
                if r.id == req_id:
                    r.registered_item_id, r.registered_item_no = answer.item.id, answer.item.item_no
                    if r.due_date is None:
                        r.due_date = due
            tx.commit()
        metrics.RECTIFICATION_ITEMS.labels("replayed" if answer.replayed else "registered").inc()
        done += 0 if answer.replayed else 1
    return done
