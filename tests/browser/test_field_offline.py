"""The field page (现场督查) on a tablet with the network gone, in Debian's chromium against the whole stack.

马骏 binds his tablet from the web session and takes the day of an approved plan along; offline he records
three findings with photos (shrunk on the tablet) and one 回头看, reloads - all still there, served by the
service worker from its cache - and once online exactly three findings and one verdict reach inspection
(read back through its REST API) and the "N 条未同步" banner clears. A connection dropped mid upload (the
request reached the gateway, its answer was lost) is synced again into one finding with one photo. A tablet
the office revokes in one click cannot sync: its queue stays and says why. The service worker serves the
field page offline after a single online visit. Every state an inspector sees is photographed at 768x1024
and 1024x768 (DUBAN_SCREENSHOT_DIR keeps them) and measured: nothing wider than the screen, no serious or
critical axe-core violation.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, ViewportSize, expect

from libs.common import photo_samples
from scripts.stack import Stack
from services.gateway.pages.field import STATIC
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_inspection import HEAD, POSITION, api, log_in, setting, shots  # noqa: F401 - fixtures
from tests.browser.test_pages import assert_no_page_overflow
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres, pytest.mark.slow]  # the session's stack, on PostgreSQL

PORTRAIT: ViewportSize = {"width": 768, "height": 1024}
LANDSCAPE: ViewportSize = {"width": 1024, "height": 768}
IDB = STATIC / "vendor" / "idb" / "umd.js"
FGJ = "区发展和改革局"


@pytest.fixture(scope="module")
def day(stack: Stack, setting: dict[str, str]) -> dict[str, Any]:  # noqa: F811 - the imported fixture
    """An approved plan that 马骏 leads, at 发改局, with one finding whose rectification 发改局 has reported
    (so it awaits 回头看)."""
    assert IDB.exists(), f"{IDB} is missing: run `make field-assets`"
    office = token(stack, "office")
    plan = api(stack, "POST", "/inspection/plans", office, json={
        "title": f"平板离线督查{uuid.uuid4().hex[:4]}", "kind": "special", "starts_on": "2026-11-26",
        "ends_on": "2026-12-31", "item_ids": [setting["item_id"]], "leader_id": "sv-ma",
        "stops": [{"unit_id": "fgj", "place": "发改局三楼"}], "training": ["督查纪律", "问题认定标准"],
        "leads": [{"unit_id": "fgj", "text": "群众反映项目资金拨付滞后", "source": "12345热线"}]}).json()
    approved = api(stack, "POST", f"/inspection/plans/{plan['id']}/approval", token(stack, HEAD), json={"comment": "同意"})
    assert approved.status_code == 200, approved.text
    earlier = reported_finding(stack, plan["id"], setting["item_id"], "台账未按月更新")
    return {"plan": approved.json(), "earlier": {"id": earlier}, "office": office}


def reported_finding(stack: Stack, plan_id: str, item_id: str, text: str) -> str:
    """A finding of the plan whose ordered rectification 发改局 has reported: it awaits 回头看."""
    inspector = token(stack, "inspector")
    found = api(stack, "POST", f"/inspection/plans/{plan_id}/findings", inspector, data={
        "unit_id": "fgj", "item_id": item_id, "text": text, "category": "ledger_missing", "severity": "general",
        "client_key": uuid.uuid4().hex}, files={"photos": ("现场.jpg", photo_samples.jpeg(640, 480), "image/jpeg")}).json()
    assert api(stack, "POST", f"/inspection/findings/{found['id']}/rectification", inspector, json={
        "mode": "ordered", "working_days": 3, "requirement": "补齐台账"}).status_code == 200
    assert api(stack, "POST", f"/inspection/findings/{found['id']}/rectification/report", token(stack, "fgj"),
               json={"text": "台账已补齐"}).status_code == 200
    return str(found["id"])


def findings(stack: Stack, day: dict[str, Any]) -> list[dict[str, Any]]:
    reply = api(stack, "GET", f"/inspection/findings?plan_id={day['plan']['id']}&page_size=200", day["office"])
    assert reply.status_code == 200, reply.text
    listed: list[dict[str, Any]] = reply.json()["findings"]
    return listed


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "现场照片.jpg"
    path.write_bytes(photo_samples.jpeg(3000, 2000))  # a camera's size: shrunk on the tablet before queueing
    return path


def context(browser: Browser, stack: Stack, viewport: ViewportSize, geolocation: bool = False) -> BrowserContext:
    """A browser of its own, on Beijing time (what the pages' times are read in)."""
    made = browser.new_context(base_url=stack.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport,
                               geolocation=POSITION if geolocation else None,
                               permissions=["geolocation"] if geolocation else [])
    made.set_default_timeout(TIMEOUT_MS)
    return made


@pytest.fixture
def tablet(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    expect.set_options(timeout=TIMEOUT_MS)
    made = context(browser, stack, PORTRAIT, geolocation=True)
    yield made
    made.close()


def bound_tablet(ctx: BrowserContext, day: dict[str, Any], name: str) -> Page:
    """马骏 logs in on the tablet, binds it, and takes the plan's day along (online)."""
    page = ctx.new_page()
    log_in(page, "inspector")
    page.goto(f"/field/?plan={day['plan']['id']}")
    page.get_by_role("link", name="登录并绑定本平板").click()
    page.get_by_label("平板名称").fill(name)
    page.get_by_role("button", name="绑定本平板").click()
    expect(page.get_by_role("heading", level=1, name=day["plan"]["title"])).to_be_visible()
    expect(page.locator("#who")).to_contain_text(name)
    # The worker controls the page once it has precached the shell and its assets.
    wait_for_worker(page)
    return page


def wait_for_worker(page: Page, timeout: float = 20.0) -> None:
    """Until the service worker controls the page. Asked from here, not with wait_for_function: that polls
    a string by eval inside the page, which the field page's CSP (script-src 'self') refuses - the test
    then failed whenever the worker was not in control at the first look."""
    deadline = time.monotonic() + timeout
    while not page.evaluate("navigator.serviceWorker.controller !== null"):
        assert time.monotonic() < deadline, "the service worker never took control of the page"
        time.sleep(0.1)


def record_finding(page: Page, text: str, photo: Path, photos: int = 1) -> None:
    page.get_by_role("button", name=re.compile(f"^记录问题.*{FGJ}")).click()
    dialog = page.get_by_role("dialog", name=f"记录问题：{FGJ}")
    dialog.get_by_label("发现的问题").fill(text)
    dialog.get_by_label("问题类别").select_option(label="推进迟缓")
    for n in range(photos):
        dialog.get_by_label("现场照片").set_input_files(str(photo))
        expect(dialog.locator("#f-previews li")).to_have_count(n + 1)
    dialog.get_by_role("button", name="保存问题").click()
    expect(dialog).to_be_hidden()


def look(page: Page, shots: Path, axe: Path, name: str) -> None:  # noqa: F811 - the imported fixture
    """Photographed upright and sideways, measured, and scanned by axe-core."""
    page.evaluate(axe.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {name}: {bad}"
    for viewport in (PORTRAIT, LANDSCAPE):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(shots / f"field-{name}-{viewport['width']}x{viewport['height']}.png"), full_page=True)
        assert_no_page_overflow(page)
    page.set_viewport_size(PORTRAIT)


def test_a_day_offline_three_findings_and_a_re_inspection_survive_a_reload_and_sync_once_online(
        tablet: BrowserContext, stack: Stack, day: dict[str, Any], photo: Path, shots: Path,  # noqa: F811
        axe_script: Path) -> None:
    page = bound_tablet(tablet, day, "督查一组平板")
    expect(page.get_by_role("region", name=FGJ)).to_contain_text(day["plan"]["items"][0]["item_no"])
    expect(page.get_by_role("region", name=FGJ)).to_contain_text("群众反映项目资金拨付滞后")
    look(page, shots, axe_script, "day-online")

    tablet.set_offline(True)
    expect(page.locator("#net")).to_have_text("离线")
    tag = uuid.uuid4().hex[:6]
    texts = [f"离线问题{n}·{tag}：项目推进滞后" for n in (1, 2, 3)]
    record_finding(page, texts[0], photo, photos=2)
    expect(page.get_by_role("status").filter(has_text="条未同步")).to_have_text("1 条未同步")
    page.get_by_role("button", name=re.compile(f"^记录问题.*{FGJ}")).click()
    page.get_by_role("dialog").get_by_label("发现的问题").fill(texts[1])
    look(page, shots, axe_script, "finding-dialog")
    page.get_by_role("dialog").get_by_role("button", name="取消").click()
    record_finding(page, texts[1], photo)
    record_finding(page, texts[2], photo)
    page.get_by_role("button", name=re.compile("^回头看.*台账未按月更新")).click()
    dialog = page.get_by_role("dialog", name="回头看")
    dialog.get_by_label("回头看情况").fill("现场核实，台账已补齐")
    dialog.get_by_label("回头看照片").set_input_files(str(photo))
    expect(dialog.locator("#r-previews li")).to_have_count(1)
    dialog.get_by_role("button", name="记录回头看").click()
    banner = page.locator("#sync-banner")
    expect(banner).to_have_text("4 条未同步")
    expect(page.locator("#queue li.queued")).to_have_count(4)
    stored = page.evaluate("""async () => { const db = await idb.openDB('duban-field');
        return (await db.getAll('queue')).map(r => ({kind: r.kind, fix: !!r.position, time: r.device_time,
                                                     sizes: r.photos.map(p => p.blob.size)})); }""")
    limit = 30 * 1024 * 1024 // 9
    assert [r["kind"] for r in stored].count("finding") == 3 and all(r["fix"] and r["time"] for r in stored)
    assert all(0 < size <= limit for r in stored for size in r["sizes"]), stored
    assert findings(stack, day)[0]["text"] not in texts, "nothing left the tablet while offline"

    page.reload()  # offline: the worker serves the page, IndexedDB still holds the day and the queue
    expect(page.get_by_role("heading", level=1, name=day["plan"]["title"])).to_be_visible()
    expect(banner).to_have_text("4 条未同步")
    expect(page.locator("#queue li.queued")).to_have_count(4)
    for text in texts:
        expect(page.locator("#queue")).to_contain_text(text[:12])
    look(page, shots, axe_script, "queue-offline")

    tablet.set_offline(False)  # the online event starts the sync
    expect(banner).to_be_hidden(timeout=60_000)
    on_server = findings(stack, day)
    for text in texts:
        assert sum(1 for f in on_server if f["text"] == text) == 1, text
    assert sorted(len(f["photos"]) for f in on_server if f["text"] in texts) == [1, 1, 2]
    assert all(f["position"]["datum"] == "WGS-84" and f["device_time"] for f in on_server if f["text"] in texts)
    earlier = next(f for f in on_server if f["id"] == day["earlier"]["id"])
    rounds = earlier["rectification"]["rounds"]
    assert earlier["rectification"]["status"] == "rectified" and [r["verdict"] for r in rounds] == ["passed"]
    assert len(rounds[0]["verification"]["photos"]) == 1
    look(page, shots, axe_script, "synced")


def test_a_connection_dropped_mid_upload_syncs_into_one_finding_with_one_photo(
        tablet: BrowserContext, stack: Stack, day: dict[str, Any], photo: Path) -> None:
    page = bound_tablet(tablet, day, "督查二组平板")
    reached: list[int] = []

    def drop_the_answer(route: Route) -> None:
        """The first upload reaches the gateway (and is recorded), then the connection drops."""
        if not reached:
            reached.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r".*/api/v1/inspection/plans/[^/]+/findings$"), drop_the_answer)
    text = f"上传中断的问题·{uuid.uuid4().hex[:6]}"
    record_finding(page, text, photo)
    expect(page.locator("#sync-note")).to_contain_text("网络中断")
    expect(page.locator("#sync-banner")).to_have_text("1 条未同步")
    assert reached == [201], "the first upload was recorded before its answer was lost"
    page.get_by_role("button", name="立即同步").click()
    expect(page.locator("#sync-banner")).to_be_hidden()
    mine = [f for f in findings(stack, day) if f["text"] == text]
    assert len(mine) == 1 and len(mine[0]["photos"]) == 1


def test_a_re_inspection_made_meanwhile_and_a_changed_plan_are_shown_and_the_record_kept(
        tablet: BrowserContext, stack: Stack, day: dict[str, Any], setting: dict[str, str]) -> None:  # noqa: F811
    inspector, plan = token(stack, "inspector"), day["plan"]
    reported = reported_finding(stack, plan["id"], setting["item_id"], "台账与实际不符")
    page = bound_tablet(tablet, day, "督查三组平板")
    tablet.set_offline(True)
    page.get_by_role("button", name=re.compile("^回头看.*台账与实际不符")).click()
    dialog = page.get_by_role("dialog", name="回头看")
    dialog.get_by_label("回头看情况").fill("现场看过，已整改")
    dialog.get_by_role("button", name="记录回头看").click()
    # Meanwhile, online, a colleague verifies it and the office changes the plan.
    assert api(stack, "POST", f"/inspection/findings/{reported}/rectification/verification", inspector,
               json={"passed": True, "text": "已核实"}).status_code == 200
    changed = api(stack, "PATCH", f"/inspection/plans/{plan['id']}", day["office"], json={
        "title": plan["title"], "kind": "special", "starts_on": "2026-11-26", "ends_on": "2026-12-31",
        "item_ids": [setting["item_id"]], "leader_id": "sv-ma", "stops": [{"unit_id": "fgj", "place": "发改局五楼"}],
        "training": ["督查纪律", "问题认定标准"], "reason": "地点调整", "expected_version": plan["version"],
        "leads": [{"unit_id": "fgj", "text": "群众反映项目资金拨付滞后", "source": "12345热线"}]})
    assert changed.status_code == 200, changed.text
    day["plan"] = changed.json()
    tablet.set_offline(False)
    kept = page.locator("#queue li.queued.conflict")
    expect(kept).to_contain_text("未能同步，已保留在本平板")
    expect(kept).to_contain_text("该问题没有待回头看的整改")
    expect(page.locator("#sync-banner")).to_have_text("1 条未同步（其中 1 条未能同步，需要处理）")
    expect(page.locator("#day-changed")).to_contain_text("方案已变更")
    expect(page.get_by_role("region", name=FGJ)).to_contain_text("发改局五楼")
    page.reload()
    expect(kept).to_have_count(1)


def test_a_revoked_tablet_cannot_sync_and_keeps_its_queue_saying_why(
        tablet: BrowserContext, browser: Browser, stack: Stack, day: dict[str, Any], photo: Path, shots: Path,  # noqa: F811
        axe_script: Path) -> None:
    page = bound_tablet(tablet, day, "丢失的平板")
    tablet.set_offline(True)
    text = f"撤销前记录的问题·{uuid.uuid4().hex[:6]}"
    record_finding(page, text, photo)

    office = context(browser, stack, LANDSCAPE)
    desk = office.new_page()
    log_in(desk, "office")
    desk.get_by_role("navigation", name="主导航").get_by_role("link", name="平板设备").click()
    desk.get_by_role("button", name="撤销丢失的平板（马骏）").first.click()
    expect(desk.get_by_role("status")).to_contain_text("已撤销")
    desk.screenshot(path=str(shots / "field-devices-office-1024x768.png"), full_page=True)
    assert_no_page_overflow(desk)

    tablet.set_offline(False)
    refusal = page.get_by_role("alert").filter(has_text="不能同步")
    expect(refusal).to_contain_text("已于")
    expect(refusal).to_contain_text("撤销绑定")
    expect(page.locator("#sync-banner")).to_have_text("1 条未同步")
    expect(page.locator("#queue")).to_contain_text("本平板已被撤销")
    look(page, shots, axe_script, "revoked")
    page.reload()
    expect(page.locator("#sync-banner")).to_have_text("1 条未同步")
    expect(refusal).to_be_visible()
    assert not [f for f in findings(stack, day) if f["text"] == text]
    desk.reload()  # the office sees what the lost tablet still holds
    row = desk.locator("tr", has_text="丢失的平板").first
    expect(row).to_contain_text("已撤销")
    expect(row).to_contain_text("1 条")
    office.close()


def test_the_service_worker_serves_the_field_page_offline_after_one_online_visit(
        tablet: BrowserContext) -> None:
    page = tablet.new_page()
    page.goto("/field/")
    expect(page.get_by_role("heading", level=1, name="绑定本平板")).to_be_visible()
    wait_for_worker(page)
    tablet.set_offline(True)
    answer = page.goto("/field/?plan=any")
    assert answer is not None and answer.from_service_worker and answer.ok
    expect(page.get_by_role("heading", level=1, name="绑定本平板")).to_be_visible()
    expect(page.locator("#net")).to_have_text("离线")
    assert page.evaluate("typeof idb.openDB") == "function", "idb came from the worker's cache"
    manifest = page.evaluate("async () => (await fetch('/field/manifest.webmanifest')).json()")
    assert manifest["start_url"] == "/field/" and manifest["display"] == "standalone"


def test_a_tablet_near_its_storage_quota_is_warned_and_asked_to_install_while_work_is_unsynced(
        tablet: BrowserContext, day: dict[str, Any], photo: Path) -> None:
    """The browser says 950 of 1,000 MB are used (what navigator.storage.estimate answers on a full tablet):
    the page warns, and with a record unsynced asks to install or keep the data."""
    tablet.add_init_script("""
        Object.defineProperty(navigator.storage, 'estimate', {value: async () => ({usage: 950 * 1048576, quota: 1000 * 1048576})});
        Object.defineProperty(navigator.storage, 'persisted', {value: async () => false});
    """)
    page = bound_tablet(tablet, day, "存储将满的平板")
    tablet.set_offline(True)
    record_finding(page, "档案柜未上锁", photo)
    expect(page.locator("#storage-warning")).to_be_visible()
    expect(page.locator("#storage-warning")).to_contain_text("已用 95%")
    expect(page.locator("#install-notice")).to_be_visible()
    expect(page.locator("#install-text")).to_contain_text("1 条未同步")
    tablet.set_offline(False)
