"""An inspection in a real browser against the whole stack, through its pages only: the office drafts a
plan, its head approves it from 待我签批, an inspector on a tablet (768 px, the device's position granted)
confirms the training, records the visit and a major finding with a photo from the camera field, orders
it fixed; the unit reports from 我的待办 with a photo; the inspector's 回头看 passes it. Every new page is
photographed at 1366 and 768 px (DUBAN_SCREENSHOT_DIR keeps them) and measured: no column squeezed to a
character a line, nothing wider than the screen, no serious or critical axe-core violation."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Geolocation, Page, ViewportSize, expect

from libs.common import photo_samples
from scripts.demo_data import DEMO_PASSWORD
from scripts.stack import Stack
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.layout import NARROW_CELLS_JS
from tests.browser.test_pages import assert_no_page_overflow
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres, pytest.mark.slow]  # the session's stack, on PostgreSQL

TABLET: ViewportSize = {"width": 768, "height": 1024}
LAPTOP: ViewportSize = {"width": 1366, "height": 900}
POSITION: Geolocation = {"latitude": 36.5012, "longitude": 102.1093, "accuracy": 8}  # 平安区, WGS-84
HEAD = "head"  # the office head (督查室主任), made here: the demo accounts have none


def api(stack: Stack, method: str, path: str, headers: dict[str, str], **kw) -> requests.Response:
    return requests.request(method, f"{stack.url}/api/v1{path}", headers=headers, timeout=30, **kw)


@pytest.fixture(scope="module")
def setting(stack: Stack) -> dict[str, str]:
    """The office head's account, and an item of 发改局 (李明 responsible) that inspection knows."""
    admin = token(stack, "admin")
    assert api(stack, "PUT", "/people/sv-zhang", admin, json={
        "name": "张主任", "unit_id": "dcs", "role": "supervisor", "title": "督查室主任"}).status_code == 200
    made = api(stack, "POST", "/users", admin, json={"username": HEAD, "display_name": "张主任", "password": DEMO_PASSWORD,
                                                     "role": "office_head", "unit_id": "dcs", "person_id": "sv-zhang"})
    assert made.status_code in (201, 409), made.text
    office = token(stack, "office")
    title = f"实地督查事项{uuid.uuid4().hex[:4]}"
    item = api(stack, "POST", "/items", office, json={
        "title": title, "source": "leader_assignment", "category": "general", "lead_unit_id": "fgj",
        "responsible_leader_id": "ld-li"}).json()
    deadline = time.monotonic() + 30
    while True:  # inspection learns items through the broker: a draft naming it is refused until then
        probe = api(stack, "POST", "/inspection/plans", office, json={"title": "事项同步检查（测试）", "kind": "special",
                                                                     "item_ids": [item["id"]]})
        if probe.status_code == 201:
            break
        assert time.monotonic() < deadline, probe.text
        time.sleep(0.2)
    return {"item_id": item["id"], "item_no": item["item_no"], "title": title}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DUBAN_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def context(browser: Browser, stack: Stack, viewport: ViewportSize, geolocation: bool = False) -> BrowserContext:
    made = browser.new_context(base_url=stack.url, locale="zh-CN", viewport=viewport,
                               geolocation=POSITION if geolocation else None,
                               permissions=["geolocation"] if geolocation else [])
    made.set_default_timeout(TIMEOUT_MS)
    return made


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def look(page: Page, shots: Path, axe: Path, name: str) -> None:
    """Photograph the page at both widths and measure it, and scan it with axe-core (no serious or
    critical violation); back at the width it was."""
    before = page.viewport_size or LAPTOP
    page.evaluate(axe.read_text(encoding="utf-8"))  # by the driver: the portal's CSP blocks inline scripts
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {name}: {bad}"
    for viewport in (LAPTOP, TABLET):
        page.set_viewport_size(viewport)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.screenshot(path=str(shots / f"{name}-{viewport['width']}.png"), full_page=True)
        squeezed = page.evaluate(NARROW_CELLS_JS)
        assert squeezed == [], f"{name} at {viewport['width']} px: cells squeezed: {squeezed}"
        assert_no_page_overflow(page)
    page.set_viewport_size(before)


@pytest.fixture
def people(browser: Browser, stack: Stack) -> Iterator[dict[str, Page]]:
    """A browser of its own for each: the office and its head on laptops, the inspector and the unit on tablets."""
    made = {"office": context(browser, stack, LAPTOP), HEAD: context(browser, stack, LAPTOP),
            "inspector": context(browser, stack, TABLET, geolocation=True), "fgj": context(browser, stack, TABLET),
            "leader": context(browser, stack, LAPTOP)}
    pages = {}
    for who, ctx in made.items():
        pages[who] = ctx.new_page()
        log_in(pages[who], who)
    yield pages
    for ctx in made.values():
        ctx.close()


def test_an_inspection_from_plan_to_a_passed_re_inspection_through_the_pages(
        people: dict[str, Page], setting: dict[str, str], shots: Path, tmp_path: Path, axe_script: Path) -> None:
    def see(page: Page, name: str) -> None:
        look(page, shots, axe_script, name)

    office, head, inspector, fgj, leader = (people[w] for w in ("office", HEAD, "inspector", "fgj", "leader"))
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(photo_samples.jpeg(1600, 1200))
    plan_title = f"重点工作推进情况专项督查{uuid.uuid4().hex[:4]}"

    # The office drafts the plan.
    office.get_by_role("navigation", name="主导航").get_by_role("link", name="督查方案").click()
    office.get_by_role("link", name="拟定督查方案").click()
    see(office, "plan-new")
    office.get_by_label("方案名称").fill(plan_title)
    office.get_by_label("开始日期").fill("2026-12-01")
    office.get_by_label("结束日期").fill("2026-12-31")
    office.get_by_label("督查组组长").select_option(label="马骏（区委区政府督查室）")
    office.get_by_label(re.compile(setting["item_no"])).check()
    office.get_by_label("被督查单位1").select_option(label="区发展和改革局")
    office.get_by_label("地点1").fill("发改局三楼")
    office.get_by_label("培训要点（每行一条，督查组成员逐条确认）").fill("督查纪律\n问题认定标准")
    office.get_by_role("button", name="保存方案（草拟）").click()
    expect(office.get_by_role("status")).to_contain_text("督查工作方案已保存")
    expect(office.locator("dl.facts")).to_contain_text("草拟")
    plan_url = office.url.split("?")[0]
    see(office, "plan-draft")

    # The office head approves it from 待我签批.
    head.goto("/queue")
    head.get_by_role("link", name=re.compile(plan_title)).first.click()
    expect(head.get_by_role("heading", level=1)).to_contain_text(plan_title)
    head.get_by_role("button", name="批准方案").click()
    expect(head.get_by_role("status")).to_contain_text("方案已批准")
    expect(head.get_by_role("heading", level=1)).to_contain_text("督查方案〔")

    # The inspector on a tablet: training, the visit, a major finding with a photo and the position.
    inspector.goto(plan_url)
    inspector.get_by_role("button", name=re.compile("培训确认")).click()
    expect(inspector.get_by_role("status")).to_contain_text("已确认完成培训")
    see(inspector, "plan-approved")
    stop = inspector.locator("#visits + .table-wrap tr", has_text="区发展和改革局")
    stop.get_by_role("link", name=re.compile("^填写督查记录")).click()
    see(inspector, "visit-form")
    inspector.get_by_role("radiogroup", name=f"办理过程：{setting['item_no']}").get_by_label("属实").check()
    inspector.get_by_role("radiogroup", name=f"办理结果：{setting['item_no']}").get_by_label("与报告不符").check()
    inspector.get_by_label("督查情况小结").fill("台账更新不及时")
    inspector.get_by_role("button", name="保存督查记录").click()
    expect(inspector.get_by_role("status")).to_contain_text("督查记录已保存")
    inspector.locator("#visits + .table-wrap tr", has_text="区发展和改革局").get_by_role(
        "link", name=re.compile("^记录问题")).click()
    expect(inspector.locator("#position-status")).to_contain_text("已取得")
    inspector.get_by_label("涉及事项").select_option(label=f"{setting['item_no']} {setting['title']}")
    inspector.get_by_label("发现的问题").fill("项目资金未按计划拨付，台账记录与实际进度不符")
    inspector.get_by_label("问题类别").select_option(label="推进迟缓")
    inspector.get_by_role("radio", name=re.compile("重大")).check()
    inspector.get_by_label("现场照片").set_input_files(str(photo))
    expect(inspector.locator("#photos-list li")).to_have_count(1)
    see(inspector, "finding-form")
    inspector.get_by_role("button", name="保存问题").click()
    expect(inspector.get_by_role("status")).to_contain_text("问题已记录")
    expect(inspector.locator("dl.facts")).to_contain_text("北纬 36.501200°")
    thumb = inspector.locator("ul.photos img").first
    expect(thumb).to_be_visible()
    assert inspector.evaluate("img => img.naturalWidth", thumb.element_handle()) > 0
    finding_url = inspector.url.split("?")[0]

    # The leader reads the escalation (阅知) from 待我签批.
    leader.goto("/queue")
    leader.get_by_role("link", name=re.compile("项目资金未按计划拨付")).first.click()
    see(leader, "escalation")
    leader.get_by_role("button", name="阅知").click()
    expect(leader.get_by_role("status")).to_contain_text("已阅知")
    leader.goto("/inspection/escalations")
    see(leader, "escalations")

    # The inspector orders it fixed in 3 working days.
    inspector.goto(finding_url)
    inspector.get_by_label("整改要求（限时整改必填）").fill("按计划拨付资金并补齐台账")
    inspector.get_by_label("整改期限（工作日，留空按默认期限）").fill("3")
    inspector.get_by_role("button", name="下达").click()
    expect(inspector.get_by_role("status")).to_contain_text("整改要求已下达")

    # The unit reports from 我的待办, with a photo.
    fgj.goto("/todo")
    fgj.get_by_role("link", name=re.compile("^报送整改情况")).first.click()
    expect(fgj.get_by_role("heading", level=1)).to_contain_text("区发展和改革局")
    fgj.get_by_role("textbox", name=re.compile("^整改情况")).fill("资金已拨付，台账已补齐")
    fgj.get_by_label("整改后照片").set_input_files(str(photo))
    see(fgj, "finding-report")
    fgj.get_by_role("button", name="报送").click()
    expect(fgj.get_by_role("status")).to_contain_text("整改情况已报送")
    fgj.goto("/inspection/findings")
    see(fgj, "findings-unit")

    # 回头看 passes it.
    inspector.goto(finding_url)
    inspector.get_by_label("通过，已整改").check()
    inspector.get_by_label("回头看情况").fill("现场核实，已整改到位")
    inspector.get_by_role("button", name="记录回头看").click()
    expect(inspector.get_by_role("status")).to_contain_text("回头看结果已记录")
    expect(inspector.locator("#rectification")).to_contain_text("已整改")
    see(inspector, "finding-rectified")
    office.goto("/inspection/plans")
    see(office, "plans")
    office.goto(plan_url)
    see(office, "plan-under-way")
    office.goto("/inspection/findings")
    see(office, "findings-office")
