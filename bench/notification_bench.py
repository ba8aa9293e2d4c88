"""Notification benchmarks.

N1 - the quarterly bulletin over 10,000 items in scope (lists capped in the body, the full lists as
annexes): drafting it (the facts), its DOCX, and its PDF by LibreOffice (a separate process, measured on its
own), in a fresh process; then the same bulletin drafted and submitted through the gRPC of the real service
(`python -m services.notification serve`), whose peak RSS (/proc VmHWM, LibreOffice aside) is the target's.
Targets (issue): DOCX < 5 s, PDF < 15 s, peak RSS of the service < 400 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.report import Table, verdict

ITEMS = 10_000
DOCX_SECONDS, PDF_SECONDS, SERVICE_MB = 5.0, 15.0, 400.0


def run(quick: bool, state: Path) -> list[Table]:
    return [bench_bulletin(state)]


def bench_bulletin(state: Path) -> Table:
    home = state / "notification-bulletin"
    table = Table(
        f"N1. Quarterly bulletin over {ITEMS:,} items in scope",
        f"{ITEMS:,} items of 2026Q3 at 30 units written into a fresh notification database (SQLite); then in a fresh\n"
        "process: draft the bulletin (facts), render its DOCX (lists capped at 20 in the body, annexes in full),\n"
        "convert it with LibreOffice headless; then the same through the gRPC of `notification serve` (its own\n"
        f"database), its peak RSS from /proc. Targets: DOCX < {DOCX_SECONDS:g} s, PDF < {PDF_SECONDS:g} s, "
        f"service peak RSS < {SERVICE_MB:g} MB.",
        ["step", "seconds", "CPU s", "peak RSS MB", "size MB", "target", "result"])
    reply = subprocess.run([sys.executable, "-m", "bench.notification_bulletin_run", str(home), str(ITEMS)],
                           capture_output=True, text=True, timeout=3600, check=False)
    if reply.returncode != 0:
        table.add("the bulletin", "", "", "", "", "", "failed: " + (reply.stderr.strip().splitlines() or ["?"])[-1][:100])
        return table
    r = json.loads(reply.stdout.strip().splitlines()[-1])
    table.add(f"prepare ({ITEMS:,} items)", f"{r['prepare_seconds']:.1f}", "", "", "", "", "")
    table.add(f"draft: facts of {r['in_scope']:.0f} items ({r['overdue']:.0f} overdue, {r['red']:.0f} red)",
              f"{r['facts_seconds']:.2f}", "", "", "", "", "")
    table.add("the DOCX (template filled by docxtpl)", f"{r['docx_seconds']:.2f}", f"{r['docx_cpu_seconds']:.2f}",
              f"{r['service_peak_mb']:.0f}", f"{r['docx_mb']:.2f}", f"< {DOCX_SECONDS:g} s",
              verdict(r["docx_seconds"] < DOCX_SECONDS))
    table.add(f"the PDF (LibreOffice, {r['pages']:.0f} pages)", f"{r['pdf_seconds']:.2f}", "",
              f"{r['office_peak_mb']:.0f}", f"{r['pdf_mb']:.2f}", f"< {PDF_SECONDS:g} s",
              verdict(r["pdf_seconds"] < PDF_SECONDS))
    table.add("the service (serve, gRPC): draft", f"{r['served_draft_seconds']:.2f}", "",
              f"{r['served_idle_mb']:.0f} idle", "", "", "")
    table.add("the service: submit (DOCX + PDF, stored)", f"{r['served_submit_seconds']:.2f}", "",
              f"{r['served_peak_mb']:.0f}", "", f"RSS < {SERVICE_MB:g} MB", verdict(r["served_peak_mb"] < SERVICE_MB))
    return table
