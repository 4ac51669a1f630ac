"""The case board in a real browser (Playwright driving Debian's Chromium): a member logs in, filters, opens a
report, acknowledges, asks and closes it; the local Telegram API server sees the alert edited; another centre's case
answers 404. Screenshots: test-artifacts/screenshots/workspace-*.png at laptop and phone size."""

from __future__ import annotations

from centres import logins
from gateway.settings import Settings
from i18n.catalog import text as t
from tests.browser import LAPTOP, PHONE, chromium, live_gateway, screenshot
from tests.conftest import free_port
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker, stored_report
from tests.test_access import HEAD_THA_UTHEN


def test_a_member_runs_a_case_from_the_board(settings: Settings, telegram: FakeTelegram) -> None:
    with live_gateway(settings, free_port()) as (base, ctx), chromium(viewport=LAPTOP, locale="th-TH") as browser:
        own = stored_report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนกล่องขึ้นฝั่งตอนนี้").ticket
        stored_report(ctx, "แจ้ง ลักลอบขนของ ท่าอุเทน รถกระบะขนบุหรี่", sender="+66812345671")
        other = stored_report(ctx, "แจ้ง ลักลอบขนของ เชียงของ รถกระบะขนบุหรี่", sender="+66812345670").ticket
        page = browser.new_page()
        page.goto(logins.login_url(ctx, logins.make_login_code(ctx, HEAD_THA_UTHEN)))
        assert page.url.startswith(f"{base}/center")
        assert own in page.inner_text("body") and other not in page.inner_text("body")
        screenshot(page, "workspace-board-laptop")

        page.select_option("select[name=category]", "drugs")
        page.click(f"button:has-text('{t('th', 'ws_filter')}')")
        assert t("th", "ws_count", first=1, last=1, total=1) in page.inner_text("body")
        page.click(f"a[href='/center/reports/{own}']")
        assert own in page.inner_text("article")

        page.click(f"button:has-text('{t('th', 'act_ack')}')")
        assert t("th", "ws_done", action=t("th", "act_ack")) in page.inner_text("body")
        page.fill("textarea[name=question]", "เรือกี่ลำครับ")
        page.click(f"button:has-text('{t('th', 'ws_ask_send')}')")
        page.select_option("select[name=reason]", "resolved")
        page.click("button[value=close]")
        assert t("th", "ws_status_closed") in page.inner_text("article")
        assert "name=\"action\"" not in page.content()  # a closed case offers no more actions
        screenshot(page, "workspace-report-closed")
        run_worker(ctx.redis)
        edits = [c for c in telegram.sent("editMessageText") if own in c.params.get("text", "")]
        assert edits and t("th", "act_resolved") in edits[-1].params["text"]
        timeline = page.reload() and page.inner_text("ul")
        assert "acknowledged" in timeline and "asked" in timeline and "closed" in timeline

        response = page.goto(f"{base}/center/reports/{other}")
        assert response is not None and response.status == 404
        page.goto(f"{base}/center/dashboard")
        assert page.locator("svg path").count() >= 60 and page.locator("svg circle").count() == 2
        screenshot(page, "workspace-dashboard-laptop")
        page.set_viewport_size(PHONE)
        page.goto(f"{base}/center")
        screenshot(page, "workspace-board-phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1  # no sideways scrolling
