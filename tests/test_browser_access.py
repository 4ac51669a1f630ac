"""In a real browser (Playwright driving Debian's Chromium): a member asks the Telegram bot for a login link, opens
it, sees their centre's reports, cannot open another centre's report, and logs out. Screenshots:
test-artifacts/screenshots/access-*.png."""

from __future__ import annotations

import json
import re

import requests

from gateway.settings import Settings
from i18n.catalog import text as t
from tests.browser import LAPTOP, PHONE, chromium, live_gateway, screenshot
from tests.conftest import TELEGRAM_WEBHOOK_SECRET, free_port
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker, stored_report


def ask_the_bot_for_a_link(base: str, user: int) -> None:
    update = {"update_id": 77, "message": {"message_id": 77, "date": 1, "text": "/login",
                                           "chat": {"id": user, "type": "private"},
                                           "from": {"id": user, "is_bot": False, "first_name": "Somchai"}}}
    resp = requests.post(f"{base}/webhooks/telegram", data=json.dumps(update), timeout=10,
                         headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET,
                                  "Content-Type": "application/json"})
    assert resp.status_code == 200


def test_a_member_logs_in_from_the_bot_sees_their_centre_only_and_logs_out(settings: Settings,
                                                                            telegram: FakeTelegram) -> None:
    with live_gateway(settings, free_port()) as (base, ctx):
        own = stored_report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง").ticket
        other = stored_report(ctx, "แจ้ง ลักลอบขนของ เชียงของ รถกระบะขนบุหรี่", sender="+66812345670").ticket
        ask_the_bot_for_a_link(base, 111)  # the head of Tha Uthen (tests/fixtures/centers.yaml)
        run_worker(ctx.redis)
        message = next(c.params["text"] for c in telegram.sent() if c.params.get("chat_id") == "111")
        link = re.search(rf"{re.escape(base)}/login/\S+", message)
        assert link, message

        with chromium(viewport=LAPTOP, locale="th-TH") as browser:
            page = browser.new_page()
            page.goto(link.group(0))
            assert page.url == f"{base}/center"
            assert own in page.inner_text("body") and other not in page.inner_text("body")
            cookie = next(c for c in browser.cookies() if c["name"] == "nts_session")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
            screenshot(page, "access-center-laptop")

            page.click(f"a[href='/center/reports/{own}']")
            assert own in page.inner_text("article") and t("th", "ws_ev_read") in page.inner_text("ul")

            response = page.goto(f"{base}/center/reports/{other}")
            assert response is not None and response.status == 404
            screenshot(page, "access-other-centre-404")

            page.set_viewport_size(PHONE)
            page.goto(f"{base}/center")
            screenshot(page, "access-center-phone")
            page.click("text=ออกจากระบบ")
            page.wait_for_load_state()
            assert not [c for c in browser.cookies() if c["name"] == "nts_session"]
            response = page.goto(f"{base}/center")
            assert response is not None and response.status == 401

            # the link was used once: opening it again (a forwarded message) starts nothing
            response = page.goto(link.group(0))
            assert response is not None and response.status == 404
            screenshot(page, "access-link-used")
