"""Demo data of the notification service (通报), through its gRPC API like the rest of the demo: a special
bulletin over the demo items published after the principal leader (赵强, 区长) approved it - one problem it
names became a ledger item of source 7 - and a second one submitted and awaiting his approval.

Submitting renders the PDF with LibreOffice (`make print-tools`); without it both stay drafts, and the
loader says so. Idempotent: bulletins already there are left as they are.
"""

from __future__ import annotations

import datetime as dt
import time

import grpc

from duban.common.v1 import common_pb2
from duban.notification.v1 import notification_pb2 as pb
from duban.notification.v1 import notification_pb2_grpc
from libs.common import call_auth, printing
from libs.common.clock import SystemClock

OFFICE = common_pb2.Actor(user_id="demo", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
PRINCIPAL = common_pb2.Actor(user_id="demo", name="赵强", role="principal_leader", unit_id="dcs", person_id="ld-zhao")
PUBLISHED_TITLE = "关于近期督查事项办理情况的专项通报"
AWAITING_TITLE = "关于重点跟踪督查事项推进情况的专项通报"


def _special(title: str, start: dt.date, end: dt.date) -> pb.GenerateBulletinRequest:
    return pb.GenerateBulletinRequest(kind="special", title=title, starts_on=start.isoformat(), ends_on=end.isoformat(),
                                      actor=OFFICE)


def load(notification_addr: str, signer: call_auth.Signer, items: int) -> None:
    """`items`: how many demo items the ledger holds; the bulletins wait until notification knows them all."""
    today = SystemClock().today()
    start, end = today - dt.timedelta(days=60), today
    with call_auth.signed_channel(notification_addr, signer, "notification") as channel:
        stub = notification_pb2_grpc.NotificationServiceStub(channel)
        titles = {b.title for b in stub.ListBulletins(pb.ListBulletinsRequest(kind="special", page_size=100,
                                                                              actor=OFFICE), timeout=10).bulletins}
        if PUBLISHED_TITLE in titles:
            return
        deadline = time.monotonic() + 30
        while True:  # notification learns the items from the ledger's events
            seen = stub.PreviewBulletin(_special(PUBLISHED_TITLE, start, end), timeout=30).bulletin
            if seen.facts.totals.in_scope >= items or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        first = stub.GenerateBulletin(_special(PUBLISHED_TITLE, start, end), timeout=60).bulletin
        stub.EditBulletin(pb.EditBulletinRequest(
            bulletin_id=first.id, mentions=[pb.MentionEdit(id=m.id, action="keep") for m in first.mentions],
            replace_requirements=True, requirements=[
                pb.Requirement(unit_id="shz", text="对人居环境整治中群众反映的问题逐项整改、销号", working_days=10,
                               responsible_leader_id="ld-li")], actor=OFFICE), timeout=30)
        second = stub.GenerateBulletin(_special(AWAITING_TITLE, start, end), timeout=60).bulletin
        if not printing.available():
            print("  demo bulletins: drafted only - submitting needs LibreOffice (make print-tools)")
            return
        try:
            sub = stub.SubmitBulletin(pb.BulletinActRequest(bulletin_id=first.id, actor=OFFICE), timeout=300).bulletin
            stub.ApproveBulletin(pb.ApproveBulletinRequest(bulletin_id=first.id, docx_sha256=sub.docx_sha256,
                                                           pdf_sha256=sub.pdf_sha256, comment="同意印发", actor=PRINCIPAL),
                                 timeout=30)
            stub.PublishBulletin(pb.BulletinActRequest(bulletin_id=first.id, actor=OFFICE), timeout=60)
            stub.SubmitBulletin(pb.BulletinActRequest(bulletin_id=second.id, actor=OFFICE), timeout=300)
        except grpc.RpcError as exc:
            print(f"  demo bulletins: {exc.code().name}: {exc.details()}")
