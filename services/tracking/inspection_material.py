"""What tracking reads from the inspection service when it closes an item: the issued supervision reports
covering it (the completion report names them) and its inspection material (findings, photos,
rectification course, verifications, report parts) for the dossier's 06_督查 folder.

Both are read before the closing transaction. If inspection does not answer, the act is refused as
retryable (Unavailable) rather than closing an item with a dossier that silently lacks its inspection."""

from __future__ import annotations

import grpc

from duban.inspection.v1 import inspection_pb2
from libs.common.errors import Unavailable
from services.tracking import dossier
from services.tracking.context import Tracking

FOLDER = "06_督查"
TIMEOUT = 60.0


def _unavailable(error: grpc.RpcError) -> Unavailable:
    return Unavailable(f"inspection did not answer: {error.code()}",
                       {"inspection": "督查材料暂时无法读取（督查服务未响应），请稍后重试"})


def report_names(tracking: Tracking, item_id: str) -> tuple[str, ...]:
    """The issued reports covering the item, as the completion report names them."""
    if tracking.inspection is None:
        return ()
    try:
        answer = tracking.inspection().ItemReports(inspection_pb2.ItemReportsRequest(item_id=item_id), timeout=10)
    except grpc.RpcError as error:
        raise _unavailable(error) from error
    return tuple(f"{r.report_no}《{r.title}》" for r in answer.reports)


def dossier_entries(tracking: Tracking, item_id: str) -> list[dossier.DossierEntry]:
    if tracking.inspection is None:
        return []
    try:
        files = list(tracking.inspection().GetItemMaterial(inspection_pb2.GetItemMaterialRequest(item_id=item_id),
                                                           timeout=TIMEOUT))
    except grpc.RpcError as error:
        raise _unavailable(error) from error
    return [dossier.DossierEntry(f"{FOLDER}/{f.path}", f.data, f.title, f"inspection_{f.kind}") for f in files]
