"""The portal pages in a real browser against the whole stack: register, scoping, validation, import, a11y, tablet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, ViewportSize, expect

from scripts.demo_data import DEMO_PASSWORD

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL

LIGHT_TEXT = re.compile(r"^(绿灯|黄灯|红灯)$")
LIGHT_NAMES = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
TABLET: ViewportSize = {"width": 768, "height": 1024}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# The page each demo account lands on after login: its own work (the others land on the ledger).
LANDING = {"office": "督办工作台", "fgj": "我的待办", "jyj": "我的待办", "leader": "待我签批"}


def login_as(page: Page, username: str) -> None:
    """Fill the login form, wait for the user's own page it lands on, then open the ledger (where the
    tests start from)."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1, name=LANDING.get(username, "督查台账"))).to_be_visible()
    if username in LANDING:
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="督查台账").click()
        expect(page.get_by_role("heading", level=1, name="督查台账")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", level=1, name="登录")).to_be_visible()


def search_ledger(page: Page, text: str) -> None:
    """Use the ledger's keyword filter, as a person would."""
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="督查台账").click()
    page.get_by_label("关键词").fill(text)
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_label("关键词")).to_have_value(text)


def ledger_total(page: Page) -> int:
    return int(page.locator("#count strong").inner_text())


def register(page: Page, title: str) -> str:
    """Register through the form as the logged-in user; returns the new item's URL."""
    fill_registration(page, title)
    page.get_by_role("button", name="立项", exact=True).click()
    expect(page).to_have_url(re.compile(r"/items/[^/?]+\?registered=1$"))
    return page.url.split("?")[0]


def fill_registration(page: Page, title: str, content: str = "") -> None:
    page.goto("/items/new")
    page.get_by_label("事项名称").fill(title)
    page.get_by_label("事项内容").fill(content)
    page.get_by_label("事项来源").select_option(label="领导交办工作事项")
    page.get_by_label("事项类别").select_option(value="general")
    page.get_by_label("牵头（主办）单位").select_option(label="区发展和改革局")


@pytest.mark.slow
def test_registered_item_is_listed_with_light_and_scoped_to_its_units(page: Page) -> None:
    title = f"浏览器立项{uuid.uuid4().hex[:8]}"
    login_as(page, "office")
    item_url = register(page, title)
    item_no = page.locator("h1 .item-no").inner_text().strip()
    assert item_no
    expect(page.get_by_role("status")).to_have_text(f"已立项，编号 {item_no}。")
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)

    search_ledger(page, title)
    row = page.locator("table.ledger tbody tr", has=page.get_by_role("link", name=item_no, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(title)
    expect(row).to_contain_text("区发展和改革局")
    expect(row.locator(".light")).to_have_text(LIGHT_TEXT)
    expect(row.locator(".light")).to_have_class(re.compile(r"\blight-(green|yellow|red)\b"))
    logout(page)

    login_as(page, "jyj")  # 区教育局: neither lead nor co unit
    expect(page.get_by_role("link", name=item_no, exact=True)).to_have_count(0)
    search_ledger(page, title)
    expect(page.locator("table.ledger tbody")).to_have_text("没有符合条件的事项。")
    expect(page.locator("#count strong")).to_have_text("0")
    response = page.goto(item_url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("404 未找到")
    expect(page.get_by_text(title)).to_have_count(0)
    logout(page)

    login_as(page, "fgj")  # 区发展和改革局: the lead unit
    search_ledger(page, title)
    page.get_by_role("link", name=item_no, exact=True).click()
    expect(page).to_have_url(item_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.locator("table tbody tr").first).to_contain_text("立项")  # the history's first change


@pytest.mark.slow
def test_lights_board_leads_from_a_count_to_its_items(page: Page) -> None:
    title = f"灯板事项{uuid.uuid4().hex[:8]}"
    login_as(page, "office")
    register(page, title)
    page.get_by_role("link", name="红黄绿灯").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("红黄绿灯")
    for _ in range(40):  # the assignment reaches tracking through the broker; bounded
        page.goto("/lights?lead_unit_id=fgj&page_size=5000")
        if page.get_by_text(title).count():
            break
        page.wait_for_timeout(250)
    item_row = page.locator("tbody tr", has_text=title)
    expect(item_row).to_have_count(1)
    colour = re.search(r"light-(red|yellow|green)", item_row.locator(".light").get_attribute("class") or "")
    assert colour, "the item's row has no light"

    page.goto("/lights")
    board_row = page.locator("tbody tr", has=page.get_by_role("rowheader", name="区发展和改革局"))
    board_row.locator(f"a:has(.light-{colour.group(1)})").click()
    expect(page).to_have_url(re.compile(rf"light={colour.group(1)}"))
    shown = page.locator("#h-items ~ .table-wrap tbody .light")
    expect(shown.first).to_be_visible()
    assert set(shown.all_inner_texts()) == {LIGHT_NAMES[colour.group(1)]}
    logout(page)

    login_as(page, "jyj")  # not a unit of the item: neither listed nor counted for it
    page.goto("/lights?lead_unit_id=fgj&page_size=5000")
    expect(page.get_by_role("heading", level=1)).to_contain_text("红黄绿灯")
    expect(page.get_by_text(title)).to_have_count(0)


def test_register_with_empty_title_shows_the_error_at_the_field_and_registers_nothing(page: Page) -> None:
    marker = f"空名称校验{uuid.uuid4().hex[:8]}"
    login_as(page, "office")
    before = ledger_total(page)
    fill_registration(page, "", content=marker)
    with page.expect_response(lambda r: r.url.endswith("/items/new") and r.request.method == "POST") as posted:
        page.get_by_role("button", name="立项", exact=True).click()
    assert posted.value.status == 422

    title = page.get_by_label("事项名称")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_attribute("aria-describedby", "err-title")
    error = page.locator("#err-title")
    expect(error).to_have_text("事项名称不能为空")
    assert error.evaluate("e => e.parentElement.contains(document.getElementById('title'))"), "error not at the field"
    expect(page.get_by_role("alert")).to_contain_text("请修改标出的 1 处")
    expect(page.get_by_label("事项内容")).to_have_value(marker)  # what was typed is kept
    expect(page.get_by_label("牵头（主办）单位")).to_have_value("fgj")
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)

    search_ledger(page, marker)
    expect(page.locator("#count strong")).to_have_text("0")
    page.get_by_role("link", name="清除").click()
    assert ledger_total(page) == before


def ledger_xlsx(good_title: str) -> bytes:
    """A header row, one good row (row 2) and one with an unknown lead unit (row 3)."""
    registered = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["事项名称", "事项来源", "事项类别", "牵头单位", "立项时间"])
    sheet.append([good_title, "领导交办工作事项", "一般事项", "区发展和改革局", registered])
    sheet.append([f"{good_title}-坏行", "领导交办工作事项", "一般事项", "不存在的单位", registered])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def choose_xlsx(page: Page, content: bytes) -> None:
    page.get_by_label("XLSX 文件").set_input_files({"name": "台账.xlsx", "mimeType": XLSX_TYPE, "buffer": content})


def test_import_reports_bad_rows_with_progress_and_a_csv_error_report(page: Page) -> None:
    title = f"导入测试{uuid.uuid4().hex[:8]}"
    login_as(page, "office")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="导入台账").click()
    choose_xlsx(page, ledger_xlsx(title))
    with page.expect_response(lambda r: r.url.endswith("/api/v1/ledger/import")) as uploaded:
        page.get_by_role("button", name="开始导入").click()
    assert uploaded.value.status == 202, uploaded.value.text()  # queued: the ledger runs it, the page polls
    assert uploaded.value.request.header_value("X-CSRF-Token")

    expect(page.locator("#progress")).to_have_js_property("value", 100)
    expect(page.locator("#progress-text")).to_have_text("完成")
    expect(page.locator("#summary")).to_contain_text("共读取 2 行")
    expect(page.locator("#summary")).to_contain_text("错误 1 行")
    expect(page.locator("#summary")).to_contain_text("有错误行，全部未写入")  # all or nothing by default
    assert "job=" in page.url  # the address names the job: a reload or a return shows it again
    rows = page.locator("#errors tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").first).to_have_text("3")
    expect(rows.first).to_contain_text("不存在的单位")

    with page.expect_download() as downloading:
        page.get_by_role("button", name="下载错误报告（CSV）").click()
    download = downloading.value
    assert download.suggested_filename == "导入错误报告.csv"
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["行号", "字段", "问题"]
    assert len(table) == 2 and table[1][0] == "3" and table[1][1] == "lead_unit" and "不存在的单位" in table[1][2]

    search_ledger(page, title)  # nothing was written
    expect(page.locator("#count strong")).to_have_text("0")


# (page, who logs in or None) for the accessibility scan; the item detail page takes the first ledger row.
A11Y_PAGES = [
    ("/login", None),
    ("/ledger", "office"),
    ("/items/new", "office"),
    ("item", "office"),
    ("/ledger/import", "office"),
    ("/admin/users", "admin"),
    ("/api/docs", "office"),
    ("register-errors", "office"),
    ("import-report", "office"),
    ("/items/no-such-item", "fgj"),
    ("/lights", "office"),
    ("/desk", "office"),
    ("/todo", "fgj"),
    ("/queue", "leader"),
    ("/scores", "fgj"),
    ("/assessment", "kaohe"),
]


def open_for_scan(page: Page, target: str) -> None:
    if target == "item":
        page.goto("/ledger")
        page.locator("table.ledger tbody a.item-no").first.click()
        expect(page.locator("h1 .item-no")).to_be_visible()
    elif target == "register-errors":
        fill_registration(page, "")
        page.get_by_role("button", name="立项", exact=True).click()
        expect(page.get_by_role("alert")).to_be_visible()
    elif target == "import-report":
        page.goto("/ledger/import")
        choose_xlsx(page, ledger_xlsx(f"无障碍{uuid.uuid4().hex[:8]}"))
        page.get_by_label("仅检查，不写入").check()
        page.get_by_role("button", name="开始导入").click()
        expect(page.locator("#errors tbody tr")).to_have_count(1)
    else:
        page.goto(target)


@pytest.mark.parametrize(("target", "user"), A11Y_PAGES, ids=[t.strip("/").replace("/", "-") for t, _ in A11Y_PAGES])
def test_pages_have_no_serious_accessibility_violations(
    page: Page, axe_script: Path, target: str, user: str | None
) -> None:
    if user:
        login_as(page, user)
    open_for_scan(page, target)
    # Evaluated by the test driver, not as a <script> tag: the portal's CSP (script-src 'self') blocks
    # injected inline scripts, which is the point of it.
    page.evaluate(axe_script.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert result["testEngine"]["version"] == "4.14.1"
    bad = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [{"target": n["target"], "summary": n.get("failureSummary", "")} for n in v["nodes"]],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"axe found serious/critical violations on {target}:\n" + json.dumps(
        bad, ensure_ascii=False, indent=2
    )


OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const outside = [...document.body.querySelectorAll('*')].filter(e => !e.closest('.table-wrap, .sr-only, .skip'))
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > width + 1 || r.left < -1); })
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''));
  return {scroll: document.documentElement.scrollWidth, width, outside};
}"""


def assert_no_page_overflow(page: Page) -> None:
    measured = page.evaluate(OVERFLOW_JS)
    assert measured["scroll"] <= measured["width"], measured
    assert not measured["outside"], measured


def test_ledger_and_register_form_are_usable_on_a_tablet(page: Page) -> None:
    page.set_viewport_size(TABLET)
    login_as(page, "office")
    assert_no_page_overflow(page)
    wrap = page.locator(".table-wrap").filter(has=page.locator("table.ledger"))
    expect(wrap).to_have_css("overflow-x", "auto")  # a wide table scrolls inside its wrapper, not the page
    first = page.locator("table.ledger tbody a.item-no").first
    first.scroll_into_view_if_needed()
    expect(first).to_be_in_viewport()
    for name in ("关键词", "承办单位", "灯色"):
        expect(page.get_by_label(name)).to_be_visible()

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="立项登记").click()
    expect(page.get_by_role("heading", level=1, name="立项登记")).to_be_visible()
    assert_no_page_overflow(page)
    for field in page.locator("form.form-grid").locator("input:not([type=hidden]), select, textarea, button").all():
        box = field.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= TABLET["width"], (field, box)
    submit = page.get_by_role("button", name="立项", exact=True)
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    submit.click()  # reachable and working at this size: the empty form comes back with its errors
    expect(page.get_by_role("alert")).to_be_visible()
    assert_no_page_overflow(page)


def test_login_with_the_keyboard_only(page: Page) -> None:
    page.goto("/login")
    username, password = page.get_by_label("用户名"), page.get_by_label("密码")
    expect(username).to_be_focused()  # autofocus
    page.keyboard.press("Shift+Tab")  # the skip link is the only thing before it
    expect(page.get_by_role("link", name="跳到正文")).to_be_focused()
    page.keyboard.press("Tab")
    expect(username).to_be_focused()
    assert username.evaluate("e => getComputedStyle(e).outlineStyle") != "none"  # the focus is visible
    page.keyboard.type("office")
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="登录")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="督办工作台")).to_be_visible()  # the office's own page
    expect(page.get_by_role("button", name="退出")).to_be_visible()
