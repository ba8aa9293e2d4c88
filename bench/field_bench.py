"""Field benchmark: a tablet's day synced over loopback, driven in Debian's chromium.

F1 - the field page (services/gateway/static/field.js) syncs a day's queue of 100 findings with two photos
each (200 distinct-enough 200 KB JPEGs of 1600x1200, as the tablet keeps them after shrinking) from its
IndexedDB to the embedded stack (processes, SQLite, local storage), one record after the other in saving
order, as it does in the field. Timed from the page's load to its note 已全部同步 (the "N 条未同步" banner gone); then every
finding and photo is counted through the REST API. Target (issue 15): < 60 s. Bounded: the wait ends
after 300 s.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from pathlib import Path

import requests
from playwright.sync_api import expect, sync_playwright

from bench.inspection_bench import _plan
from bench.machine import settle
from bench.report import Table, verdict
from duban.inspection.v1 import inspection_pb2_grpc
from libs.common import photo_samples
from scripts import demo_data
from scripts.stack import Stack

FINDINGS, PHOTOS_EACH, DISTINCT = 100, 2, 10
TARGET_SECONDS, WAIT_SECONDS = 60.0, 300.0
CHROMIUM = "/usr/bin/chromium"

# The queue's records as field.js writes them (its IndexedDB 'queue' store), photos as Blobs.
FILL_QUEUE = """async ([planId, photos, findings, each, tag]) => {
  const blobs = photos.map((b64) => new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], {type: 'image/jpeg'}));
  const db = await idb.openDB('duban-field');
  const tx = db.transaction('queue', 'readwrite');
  const start = Date.now();
  for (let n = 0; n < findings; n += 1) {
    const text = `基准问题${n}·${tag}`;
    await tx.store.put({key: `${tag}-${n}`, seq: start + n, kind: 'finding', plan_id: planId, target: planId,
      fields: {unit_id: 'fgj', item_id: '', text, category: 'other', severity: 'general', place: ''},
      photos: Array.from({length: each}, (_, i) => ({name: `IMG_${n}_${i}.jpg`, blob: blobs[(n * each + i) % blobs.length]})),
      position: {latitude: 36.5012, longitude: 102.1093, accuracy: 8}, device_time: new Date().toISOString(),
      state: 'pending', error: '', attempts: 0, label: `问题：${text}`, visit_key: ''});
  }
  await tx.done;
  return (await db.count('queue'));
}"""


def run(quick: bool, state: Path) -> list[Table]:
    return [bench_sync(state)]


def bench_sync(state: Path) -> Table:
    home = state / "field-stack"
    home.mkdir(parents=True, exist_ok=True)
    stack = Stack(state_dir=home, free_ports=True, extra_env={"DUBAN_LOG_LEVEL": "WARNING",
                                                               "DUBAN_SWEEP_INTERVAL_SECONDS": "0"})
    table = Table(
        "F1. A tablet's day synced from the field page (chromium, IndexedDB queue -> gateway -> inspection)",
        f"{FINDINGS} findings x {PHOTOS_EACH} photos of 200 KB (1600x1200 JPEG), one request per finding in saving "
        "order, with the device token;\nthe embedded stack's processes (SQLite, local storage), loopback. From the "
        f"page's load to its banner gone. Target: < {TARGET_SECONDS:g} s.",
        ["what", "findings", "photos", "MB sent", "seconds", "per finding ms", "target", "result"])
    photos = [photo_samples.jpeg(1600, 1200, target_bytes=200_000, seed=n) for n in range(DISTINCT)]
    try:
        stack.start()
        demo_data.load(stack.addr("ledger"), stack.processes["gateway"].env["DUBAN_DATABASE_URL"], stack.signer(),
                       stack.addr("tracking"))
        plan_id = _plan(inspection_pb2_grpc.InspectionServiceStub(stack.channel("inspection")), ("fgj",))
        tag = uuid.uuid4().hex[:6]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(base_url=stack.url, locale="zh-CN").new_page()
            page.set_default_timeout(30_000)
            page.goto("/login")
            page.get_by_label("用户名").fill("inspector")
            page.get_by_label("密码").fill(demo_data.DEMO_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.goto(f"/field/bind?next=/field/%3Fplan%3D{plan_id}")
            page.get_by_label("平板名称").fill("基准测试平板")
            page.get_by_role("button", name="绑定本平板").click()
            page.locator("#day-title").wait_for()
            queued = page.evaluate(FILL_QUEUE, [plan_id, [base64.b64encode(p).decode() for p in photos], FINDINGS,
                                                PHOTOS_EACH, tag])
            assert queued == FINDINGS, queued
            settle()
            started = time.perf_counter()
            page.reload()  # the page syncs what its queue holds as it opens online
            expect(page.locator("#sync-note")).to_have_text(re.compile("^已全部同步"), timeout=WAIT_SECONDS * 1000)
            assert page.locator("#sync-banner").is_hidden()
            seconds = time.perf_counter() - started
            browser.close()
        login = requests.post(f"{stack.url}/api/v1/auth/token", timeout=30,
                              json={"username": "office", "password": demo_data.DEMO_PASSWORD})
        listed = requests.get(f"{stack.url}/api/v1/inspection/findings", params={"plan_id": plan_id, "page_size": "200"},
                              headers={"Authorization": f"Bearer {login.json()['token']}"}, timeout=30).json()
        mine = [f for f in listed["findings"] if f["text"].endswith(tag)]
        arrived = len(mine)
        stored = sum(len(f["photos"]) for f in mine)
        sent_mb = sum(len(photos[i % DISTINCT]) for i in range(FINDINGS * PHOTOS_EACH)) / 1e6
        ok = seconds < TARGET_SECONDS and arrived == FINDINGS and stored == FINDINGS * PHOTOS_EACH
        table.add("sync of the day's queue", f"{arrived}/{FINDINGS}", f"{stored}/{FINDINGS * PHOTOS_EACH}",
                  f"{sent_mb:.1f}", f"{seconds:.1f}", f"{seconds * 1000 / FINDINGS:.0f}", f"< {TARGET_SECONDS:g} s",
                  verdict(ok))
    finally:
        stack.stop()
    return table
