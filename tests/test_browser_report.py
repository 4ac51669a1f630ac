"""The public report page in a real browser (Playwright driving Debian's Chromium): a Thai report made with the
network cut is kept in the phone's outbox, sent when the network returns, stored once and alerted once at the right
centre, and nothing of it stays on the phone; a Khmer report with JavaScript off; the first load's weight for 2G.
Screenshots: test-artifacts/screenshots/report-*.png; the weight is written to test-artifacts/page-weight.json."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from gateway.settings import Settings
from i18n.catalog import text as t
from reports.context import Context
from reports.models import Report, Reporter
from tests.browser import ARTIFACTS, PHONE, chromium, live_gateway, screenshot
from tests.conftest import free_port
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker

FIRST_LOAD_BUDGET = 100_000  # bytes on the wire, headers included: a 2G first load
OUTBOX_COUNT = """() => new Promise((ok) => { const r = indexedDB.open("nts-outbox", 1);
  r.onupgradeneeded = () => r.result.createObjectStore("reports", { keyPath: "client_id" });
  r.onsuccess = () => { const d = r.result; const q = d.transaction("reports").objectStore("reports").count();
                        q.onsuccess = () => { d.close(); ok(q.result); }; }; })"""


def stored(ctx: Context) -> list[Report]:
    with ctx.sessions() as s:
        return list(s.execute(select(Report)).scalars())


def transferred(requests: list[Any]) -> int:
    total = 0
    for req in requests:
        sizes = req.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"] + sizes["requestHeadersSize"]
    return total


def test_a_thai_report_made_offline_is_sent_once_when_the_network_returns(settings: Settings,
                                                                          telegram: FakeTelegram) -> None:
    with live_gateway(settings, free_port()) as (base, ctx), chromium(viewport=PHONE, locale="th-TH") as browser:
        page = browser.new_page()
        finished: list[Any] = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(f"{base}/report")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("Promise.race([navigator.serviceWorker.ready.then(() => 'ready'),"
                             " new Promise((ok) => setTimeout(() => ok('not installed'), 10000))])") == "ready"
        weight = transferred(finished)
        ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS.parent / "page-weight.json").write_text(json.dumps(
            {"report_first_load_bytes": weight, "requests": [r.url for r in finished]}, indent=1))
        assert 0 < weight <= FIRST_LOAD_BUDGET, weight
        assert page.get_attribute("html", "lang") == "th"

        page.type("#place", "ท่าอุเท", delay=30)  # the place search answers as it is typed
        page.click("#located button")
        assert "ท่าอุเทน" in page.input_value("#place")
        waiting_before = set(ctx.redis.keys("nts:intake:*"))  # this worker's Redis is shared with earlier tests
        browser.set_offline(True)
        page.check("input[name=category][value=drugs]")
        page.fill("#place", "ท่าอุเทน")
        page.fill("#details", "เรือสองลำขนกล่องขึ้นฝั่งตอนสี่ทุ่ม")
        page.click("button[type=submit]")
        page.wait_for_selector("#outbox:not([hidden])")
        outbox = page.inner_text("#outbox")
        assert t("th", "web_offline_kept") in outbox and t("th", "web_waiting", count=1) in outbox
        assert page.evaluate(OUTBOX_COUNT) == 1
        screenshot(page, "report-offline-kept")

        page.reload()  # still offline: the service worker's copy of the page opens, and says what waits
        page.wait_for_selector("#outbox:not([hidden])")
        assert t("th", "web_waiting", count=1) in page.inner_text("#outbox")
        assert stored(ctx) == [] and set(ctx.redis.keys("nts:intake:*")) == waiting_before  # nothing reached us

        browser.set_offline(False)
        page.wait_for_function("(sent) => document.getElementById('outbox').textContent.includes(sent)",
                               arg=t("th", "web_sent_from_outbox").split("{")[0].strip())
        assert page.evaluate(OUTBOX_COUNT) == 0  # nothing of the report stays on the phone
        screenshot(page, "report-sent-from-outbox")
        page.evaluate("window.dispatchEvent(new Event('online'))")  # a second 'online' sends nothing again
        page.wait_for_timeout(300)

        run_worker(ctx.redis)
        [report] = stored(ctx)
        assert (report.center_id, report.category, report.channel) == ("4803", "drugs", "web")
        alerts = [c for c in telegram.sent() if report.ticket in str(c.params.get("text", ""))]
        chats = [c.params.get("chat_id") for c in alerts]
        assert alerts and len(chats) == len(set(chats))  # each of the centre's chats alerted exactly once

        page.click("#clear")
        page.wait_for_selector(f"text={t('th', 'web_cleared')}")
        assert page.evaluate("caches.keys().then((k) => k.length)") == 0
        assert page.evaluate("navigator.serviceWorker.getRegistrations().then((r) => r.length)") == 0


def test_a_khmer_report_with_javascript_off(settings: Settings) -> None:
    with live_gateway(settings, free_port()) as (base, ctx), \
            chromium(viewport=PHONE, locale="km-KH", java_script_enabled=False) as browser:
        page = browser.new_page()
        page.goto(f"{base}/report")
        assert page.get_attribute("html", "lang") == "km"
        assert page.is_hidden("#locate") and page.is_hidden("#clear")  # JavaScript-only controls stay out of the way
        screenshot(page, "report-khmer-form")
        page.check("input[name=category][value=trafficking]")
        page.fill("#place", "ប៉ោយប៉ែត")
        page.check("input[name=when][value=today]")
        page.fill("#details", "មានឡានដឹកក្មេងស្រីចេញពីភូមិ")
        page.click("button[type=submit]")
        page.wait_for_selector(".code")
        ticket, code = (part.strip() for part in page.inner_text(".code").split("·"))
        assert t("km", "web_received", ticket=ticket, code=code) in page.inner_text("body")
        screenshot(page, "report-khmer-receipt")

        page.click(f"text={t('km', 'web_status_title')}")
        page.fill("#ticket", ticket)
        page.fill("#code", code)
        page.click("button[type=submit]")
        assert t("km", "status_received") in page.inner_text("main")
        screenshot(page, "report-khmer-status")
        run_worker(ctx.redis)
        [report] = stored(ctx)
        assert (report.ticket, report.center_id, report.language) == (ticket, "2706", "km")


def test_a_leaders_three_reports_taken_without_signal_sync_later(settings: Settings) -> None:
    from centres import tokens

    with live_gateway(settings, free_port()) as (base, ctx), chromium(viewport=PHONE, locale="lo-LA") as browser:
        _, token = tokens.create(ctx, ["4803"], ["reports:upload"], "Headman Bounmy's phone", None, "test")
        page = browser.new_page()
        page.goto(f"{base}/report#leader={token}")
        page.wait_for_load_state("networkidle")
        assert "#leader" not in page.url and page.is_visible("#leader")  # the token left the address bar
        browser.set_offline(True)
        villagers = [("drugs", "ທ່າອຸເທນ", "ເຫັນເຮືອຂົນຢາບ້າ"), ("migration", "ຫີນບູນ", "ຄົນຂ້າມແດນ 5 ຄົນ"),
                     ("smuggling", "ທ່າອຸເທນ", "ລົດຂົນໄມ້ເຖື່ອນ")]
        for n, (category, place, details) in enumerate(villagers, start=1):
            page.check(f"input[name=category][value={category}]")
            page.fill("#place", place)
            page.fill("#details", details)
            page.click("button[type=submit]")
            page.wait_for_function("(n) => document.getElementById('outbox').textContent.includes(n)",
                                   arg=t("lo", "web_waiting", count=n))
        assert page.evaluate(OUTBOX_COUNT) == 3
        assert t("lo", "web_waiting", count=3) in page.inner_text("#outbox")
        screenshot(page, "report-leader-offline")

        browser.set_offline(False)
        page.wait_for_function("(word) => document.getElementById('outbox').textContent.split(word).length > 3",
                               arg=t("lo", "web_leader_ticket").split("{")[0].strip())
        assert page.evaluate(OUTBOX_COUNT) == 0
        screenshot(page, "report-leader-tickets")
        shown = page.inner_text("#outbox")
        run_worker(ctx.redis)
        reports = stored(ctx)
        assert len(reports) == 3 and {r.channel for r in reports} == {"offline"}
        assert all(r.ticket in shown for r in reports)  # the leader sees each ticket to hand back
        with ctx.sessions() as s:
            reporters = list(s.execute(select(Reporter)).scalars())
        assert all(r.contact_enc is None for r in reporters)  # the villagers gave no number and none is kept


def test_the_simulator_completes_a_ussd_report_in_lao(settings: Settings) -> None:
    from centres import logins
    from centres.access import member_principal

    with live_gateway(settings, free_port()) as (base, ctx), chromium(viewport=PHONE, locale="en-US") as browser:
        principal = member_principal(ctx, "4803", "Secretary Malee")
        assert principal is not None
        page = browser.new_page()
        assert page.goto(f"{base}/simulator").status == 401  # operators only
        page.goto(logins.login_url(ctx, logins.make_login_code(ctx, principal)))
        page.goto(f"{base}/simulator")
        page.select_option("select[name=channel]", "ussd")
        page.select_option("select[name=lang]", "lo")
        page.click("text=New villager")

        def hop(text: str) -> str:
            page.fill("input[name=text]", text)
            page.click("#send button[type=submit]")
            page.wait_for_load_state()
            screen: str = page.locator(".screen").last.inner_text()
            return screen

        first = hop("")  # dialling *789#: the first screen
        assert first.startswith("CON") and "of 80 characters" in first  # a Lao screen counts UCS-2 characters
        hop("2")  # drugs
        hop("ທ່າອຸເທນ")
        hop("1")  # happening now
        confirm = hop("ເຫັນເຮືອຂົນກ່ອງ")
        assert confirm.startswith("CON")
        done = hop("1")
        assert done.startswith("END")
        screenshot(page, "simulator-ussd-lao")
        run_worker(ctx.redis)
        [report] = stored(ctx)
        assert (report.channel, report.center_id, report.language, report.category) == ("ussd", "4803", "lo", "drugs")
