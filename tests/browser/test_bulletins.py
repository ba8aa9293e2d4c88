"""A bulletin (通报) in a real browser against the whole stack, through its pages only: the office drafts a
special bulletin on the board, edits it (a suggestion struck or kept, a problem to be fixed with its
deadline) and submits it; the principal leader (主要领导) finds it on 待我签批, reads the hashes of the files
and approves; the office publishes; a unit finds it on its 通报栏 with where it is named, and the chart
drawn by ECharts. Every new page is photographed at 1280 px (DUBAN_SCREENSHOT_DIR keeps them) and 768 px,
measured (nothing squeezed, nothing wider than the screen) and scanned by axe-core (no serious or
critical violation)."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from scripts.demo_data import DEMO_PASSWORD
from scripts.stack import Stack
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.layout import NARROW_CELLS_JS
from tests.browser.test_pages import assert_no_page_overflow
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres, pytest.mark.slow]  # the session's stack, on PostgreSQL

OFFICE_SCREEN: ViewportSize = {"width": 1280, "height": 900}
TABLET: ViewportSize = {"width": 768, "height": 1024}
RENDER_MS = 120_000
PRINCIPAL = "quzhang"  # 赵强 (区长), the demo's principal leader (scripts/demo_data.py)


def api(stack: Stack, method: str, path: str, headers: dict[str, str], **kw) -> requests.Response:
    return requests.request(method, f"{stack.url}/api/v1{path}", headers=headers, timeout=60, **kw)


@pytest.fixture(scope="module")
def period(stack: Stack) -> dict[str, str]:
    """The days of a special bulletin over the demo items, once the notification service has learned them
    from the broker."""
    today = dt.date.today()
    days = {"starts_on": (today - dt.timedelta(days=60)).isoformat(), "ends_on": today.isoformat()}
    office = token(stack, "office")
    deadline = time.monotonic() + 30
    while True:  # notification learns items through the broker: until then a bulletin has nothing in scope
        probe = api(stack, "POST", "/bulletins", office, json={"kind": "special", "title": "事项同步检查（测试）", **days})
        assert probe.status_code == 201, probe.text
        if probe.json()["facts"]["totals"]["in_scope"] > 0:
            return days
        assert time.monotonic() < deadline, probe.text
        time.sleep(0.3)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DUBAN_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def look(page: Page, shots: Path, axe: Path, name: str) -> None:
    """axe-core (no serious or critical violation), then a photograph at 1280 and 768 px, each measured."""
    page.evaluate(axe.read_text(encoding="utf-8"))  # by the driver: the portal's CSP blocks inline scripts
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {name}: {bad}"
    for viewport in (OFFICE_SCREEN, TABLET):
        page.set_viewport_size(viewport)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.screenshot(path=str(shots / f"bulletin-{name}-{viewport['width']}.png"), full_page=True)
        squeezed = page.evaluate(NARROW_CELLS_JS)
        assert squeezed == [], f"{name} at {viewport['width']} px: cells squeezed: {squeezed}"
        assert_no_page_overflow(page)
    page.set_viewport_size(OFFICE_SCREEN)


@pytest.fixture
def people(browser: Browser, stack: Stack) -> Iterator[dict[str, Page]]:
    contexts: dict[str, BrowserContext] = {}
    pages = {}
    for who in ("office", PRINCIPAL, "fgj"):
        contexts[who] = browser.new_context(base_url=stack.url, locale="zh-CN", viewport=OFFICE_SCREEN,
                                            accept_downloads=True)
        contexts[who].set_default_timeout(TIMEOUT_MS)
        pages[who] = contexts[who].new_page()
        log_in(pages[who], who)
    yield pages
    for ctx in contexts.values():
        ctx.close()


def test_a_bulletin_from_the_systems_draft_to_a_units_board_through_the_pages(
        people: dict[str, Page], period: dict[str, str], shots: Path, axe_script: Path) -> None:
    def see(page: Page, name: str) -> None:
        look(page, shots, axe_script, name)

    office, leader, fgj = people["office"], people[PRINCIPAL], people["fgj"]
    title = f"关于近期督查事项办理情况的专项通报{uuid.uuid4().hex[:4]}"
    errors: list[str] = []
    for page in (office, leader, fgj):  # a CSP refusal or a script error shows here
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # The office drafts it on the board.
    office.get_by_role("navigation", name="主导航").get_by_role("link", name="通报").click()
    expect(office.get_by_role("heading", level=1)).to_have_text("通报栏")
    see(office, "board-office")
    office.get_by_label("类别", exact=True).select_option(label="专项通报")
    office.get_by_label("期间").fill("")
    office.get_by_label("专项通报标题").fill(title)
    office.get_by_label("专项起始日").fill(period["starts_on"])
    office.get_by_label("专项截止日").fill(period["ends_on"])
    office.get_by_role("button", name="由系统起草").click()
    expect(office.get_by_role("status")).to_contain_text("通报已起草")
    expect(office.get_by_role("heading", level=1)).to_have_text(title)
    expect(office.locator("#bulletin-chart canvas")).to_have_count(1)  # ECharts drew the per-unit rates
    see(office, "draft")
    bulletin_url = office.url.split("?")[0]

    # It edits the draft: the first suggestion struck (if the system made one), a problem to be fixed.
    office.get_by_role("link", name="修改草稿").click()
    expect(office.get_by_role("heading", level=1)).to_have_text("修改通报草稿")
    see(office, "editor")
    suggestions = office.locator("fieldset.mention")
    if suggestions.count():
        suggestions.first.get_by_label("删去").check()
    office.get_by_label("第1个问题的单位").select_option(label="区发展和改革局")
    office.get_by_label("第1个问题", exact=True).fill("重大项目调度台账更新不及时，限期补齐")
    office.get_by_label("第1个问题的工作日数").fill("5")
    # Submitting renders the DOCX and converts it to PDF (LibreOffice): seconds, more on a busy machine.
    office.get_by_role("button", name="保存并报主要领导审批").click(timeout=RENDER_MS)
    expect(office.get_by_role("status")).to_contain_text("已报主要领导审批", timeout=RENDER_MS)
    expect(office.locator(".subtitle")).to_contain_text("待主要领导审批")

    # The principal leader approves it from 待我签批, over the hashes the page shows.
    leader.get_by_role("navigation", name="主导航").get_by_role("link", name=re.compile("待我签批")).click()
    leader.get_by_role("link", name=re.compile("审阅并审批")).filter(has_text=title).first.click()
    expect(leader.get_by_role("heading", level=1)).to_have_text("审批通报")
    expect(leader.locator("#docx-sha")).to_have_text(re.compile("^[0-9a-f]{64}$"))
    expect(leader.locator("#pdf-sha")).to_have_text(re.compile("^[0-9a-f]{64}$"))
    see(leader, "approval")
    leader.get_by_role("button", name="批准印发").click()
    expect(leader.get_by_role("status")).to_contain_text("已批准")

    # The office publishes it.
    office.goto(bulletin_url)
    office.get_by_role("button", name="印发").click(timeout=RENDER_MS)  # registers the problems in the ledger
    expect(office.get_by_role("status")).to_contain_text("已印发", timeout=RENDER_MS)
    see(office, "published")

    # 发改局 finds it on its board, marked where it is named, and the problem it must fix.
    fgj.get_by_role("navigation", name="主导航").get_by_role("link", name="通报").click()
    row = fgj.locator("table.bulletins tr", has_text=title)
    expect(row).to_contain_text("点名本单位")
    see(fgj, "board-unit")
    row.get_by_role("link", name=title).click()
    expect(fgj.get_by_role("note")).to_contain_text("本通报点名了本单位")
    expect(fgj.locator("tr.named", has_text="重大项目调度台账更新不及时")).to_have_count(1)
    expect(fgj.locator("#bulletin-chart canvas")).to_have_count(1)
    see(fgj, "published-unit")
    assert not errors, errors
