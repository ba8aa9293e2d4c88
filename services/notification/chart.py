"""The chart of on-time rates per unit as a PNG (matplotlib, a CJK face), drawn from the bulletin's one chart
structure (duban.notification.v1.Chart) that the page's ECharts also reads. Pure: the structure in, bytes out."""

from __future__ import annotations

import io
import threading

import matplotlib

matplotlib.use("Agg")  # no display: files only

from matplotlib import font_manager  # noqa: E402 - after the backend is chosen
from matplotlib.figure import Figure  # noqa: E402

from duban.notification.v1 import notification_pb2 as pb  # noqa: E402

# The faces tried in order: the free Noto face the image installs (fonts-noto-cjk), then what an office has.
CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei"]
DPI = 200
MAX_BARS = 40  # more units than this are drawn as the 40 lowest (the table lists them all)
_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe
_available: list[str] | None = None


def _fonts() -> list[str]:
    global _available
    if _available is None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        _available = [name for name in CJK_FONTS if name in installed] or ["DejaVu Sans"]
    return _available


def render_png(chart: pb.Chart) -> bytes:
    """Horizontal bars, one a unit, lagging units in red, the rate printed at each bar's end."""
    bars = list(chart.bars)
    if len(bars) > MAX_BARS:
        bars = sorted(bars, key=lambda b: b.value)[:MAX_BARS]
    height = max(2.0, 0.32 * len(bars) + 1.0)
    with _LOCK:
        fig = Figure(figsize=(6.2, height), dpi=DPI)
        ax = fig.add_subplot()
        names = [b.unit_name for b in bars][::-1]
        values = [b.value * 100 for b in bars][::-1]
        colours = ["#c00000" if b.lagging else "#2f5597" for b in bars][::-1]
        family = _fonts()
        ax.barh(range(len(bars)), values, color=colours, height=0.6)
        ax.set_yticks(range(len(bars)), names, fontfamily=family, fontsize=8)
        ax.set_xlim(0, 110)
        ax.set_xlabel("百分比（%）", fontfamily=family, fontsize=8)
        ax.set_title(chart.title, fontfamily=family, fontsize=10)
        for y, (value, bar) in enumerate(zip(values, bars[::-1], strict=True)):
            ax.text(value + 1, y, bar.label, va="center", fontsize=7, fontfamily=family)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()
