"""The centre's workspace over HTTP (gateway/web/center.py): the case board's filters, search, paging with true
totals and urgent-first order; the actions with the same effects as the chat buttons; exports without contact data
and safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from centres import access
from flows.engine import Engine
from gateway.app import create_app
from gateway.channels.events import Inbound
from gateway.intake import accept
from i18n.catalog import text as t
from reports.context import Context
from reports.models import AuditEvent, Report
from tests.fakes.http_api import FakeAPI
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker
from tests.test_access import BASE, HEAD_THA_UTHEN, PROVINCE, log_in


@pytest.fixture
def client(ctx: Context) -> FlaskClient:
    return create_app(context=ctx).test_client()


def report_many(ctx: Context, texts: list[str]) -> list[str]:
    """One SMS report per text, each from its own number, processed by the worker; their tickets."""
    engine = Engine.for_context(ctx)
    for n, text in enumerate(texts):
        engine.handle(Inbound("twilio", f"SMws{n}", f"+6681{n:07d}", text, datetime.now(UTC)))
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        return [r.ticket for r in s.execute(select(Report).order_by(Report.created_at)).scalars()]


def board(client: FlaskClient, query: str = "") -> str:
    resp = client.get(f"/center?{query}", base_url=BASE)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found
    return found.group(1)


def test_board_pages_with_true_totals_and_filters(ctx: Context, client: FlaskClient) -> None:
    texts = [f"แจ้ง ยาเสพติด ท่าอุเทน เรือลำที่ {n} ขนกล่อง" for n in range(55)] + \
            ["แจ้ง ลักลอบขนของ ท่าอุเทน รถกระบะขนบุหรี่ไม้พะยูง"]
    tickets = report_many(ctx, texts)
    log_in(ctx, client, HEAD_THA_UTHEN)
    first = board(client)
    assert t("th", "ws_count", first=1, last=50, total=56) in first
    assert "offset=50" in first  # the next page exists
    second = board(client, "offset=50")
    assert t("th", "ws_count", first=51, last=56, total=56) in second
    shown = set(re.findall(r"/center/reports/(\d+)", first)) | set(re.findall(r"/center/reports/(\d+)", second))
    assert shown == set(tickets)  # nothing silently dropped
    only = board(client, "category=smuggling")
    assert t("th", "ws_count", first=1, last=1, total=1) in only and "ไม้พะยูง" in only
    found = board(client, "q=" + "ไม้พะยูง")
    assert t("th", "ws_count", first=1, last=1, total=1) in found
    assert t("th", "ws_status_new") in first and t("th", "cat_drugs") in first  # words, not codes


def test_urgent_cases_come_first(ctx: Context, client: FlaskClient) -> None:
    tickets = report_many(ctx, ["แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนกล่อง เมื่อวาน", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนกล่องตอนนี้"])
    log_in(ctx, client, HEAD_THA_UTHEN)
    order = re.findall(r"/center/reports/(\d+)", board(client))
    assert order[0] == tickets[1]  # happening now before yesterday's, though older in the list
    assert t("th", "ws_urgent") in board(client)


@pytest.mark.parametrize(("query", "status"), [("status=lost", 400), ("colour=red", 400), ("limit=5000", 400),
                                               ("center=5703", 404), ("from=yesterday", 400)])
def test_bad_or_foreign_filters_are_refused(ctx: Context, client: FlaskClient, query: str, status: int) -> None:
    log_in(ctx, client, HEAD_THA_UTHEN)
    assert client.get(f"/center?{query}", base_url=BASE).status_code == status


def test_actions_have_the_chat_buttons_effects(ctx: Context, client: FlaskClient, telegram: FakeTelegram) -> None:
    [ticket] = report_many(ctx, ["แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนกล่องขึ้นฝั่ง"])
    log_in(ctx, client, HEAD_THA_UTHEN)
    page = client.get(f"/center/reports/{ticket}", base_url=BASE).get_data(as_text=True)
    token = csrf(page)
    assert client.post(f"/center/reports/{ticket}/actions", data={"action": "ack"}, base_url=BASE).status_code == 400
    resp = client.post(f"/center/reports/{ticket}/actions", data={"action": "ack", "csrf_token": token}, base_url=BASE)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("?done=ack")
    run_worker(ctx.redis)
    edits = telegram.sent("editMessageText")
    assert edits and t("th", "via_web") in edits[-1].params["text"]  # the Telegram alert shows it was done on the web
    client.post(f"/center/reports/{ticket}/actions", data={"action": "assign", "agency": "police", "csrf_token": token},
                base_url=BASE)
    client.post(f"/center/reports/{ticket}/actions", data={"action": "ask", "question": "กี่ลำครับ",
                                                           "csrf_token": token}, base_url=BASE)
    client.post(f"/center/reports/{ticket}/actions", data={"action": "close", "reason": "resolved",
                                                           "csrf_token": token}, base_url=BASE)
    again = client.post(f"/center/reports/{ticket}/actions", data={"action": "ack", "csrf_token": token}, base_url=BASE)
    assert again.status_code == 409
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.execute(select(Report).where(Report.ticket == ticket)).scalar_one()
        events = [e.event for e in s.execute(select(AuditEvent).where(AuditEvent.report_id == report.id)).scalars()]
    assert report.status == "closed"
    assert {"acknowledged", "assigned", "asked", "closed"} <= set(events)
    assert ctx.redis.get(f"nts:ticket:{ticket}") in ("closed", b"closed")


def test_a_desk_reads_but_does_not_act(ctx: Context, client: FlaskClient) -> None:
    [ticket] = report_many(ctx, ["แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนกล่องขึ้นฝั่ง"])
    log_in(ctx, client, PROVINCE)
    page = client.get(f"/center/reports/{ticket}", base_url=BASE).get_data(as_text=True)
    assert 'name="action"' not in page
    resp = client.post(f"/center/reports/{ticket}/actions", data={"action": "ack", "csrf_token": csrf(page)},
                       base_url=BASE)
    assert resp.status_code == 403


def test_exports_carry_no_contact_and_cannot_run_in_a_spreadsheet(ctx: Context, client: FlaskClient) -> None:
    report_many(ctx, ["แจ้ง ยาเสพติด ท่าอุเทน =HYPERLINK(\"http://x\",\"คลิก\") +66812345678"])
    Engine.for_context(ctx).handle(Inbound("twilio", "SMgps", "+66810000099", "แจ้ง ยาเสพติด 17.57,104.59 เรือขนกล่อง",
                                           datetime.now(UTC)))
    run_worker(ctx.redis)
    log_in(ctx, client, HEAD_THA_UTHEN)
    resp = client.get("/center/export.csv", base_url=BASE)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "ticket" and len(rows) == 3
    details = [r[rows[0].index("details")] for r in rows[1:]]
    assert not any(d.startswith("=") for d in details)
    assert "0812345678" not in resp.get_data(as_text=True).replace("+66812345678", "")  # the reporter's number: never
    geo = json.loads(client.get("/center/export.geojson", base_url=BASE).get_data(as_text=True))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 1
    assert geo["features"][0]["geometry"]["coordinates"] == [104.59, 17.57]
    assert client.get("/center/export.csv?center=5703", base_url=BASE).status_code == 404


def test_the_workspace_speaks_the_centres_language(ctx: Context, client: FlaskClient) -> None:
    log_in(ctx, client, access.Principal("telegram", "222", "Nai Amphoe Chiang Khong"))
    page = board(client)
    assert t("th", "ws_board") in page and t("th", "ws_filter") in page
    assert not re.search(r"\b(ws|cat|act)_[a-z_]+\b", page.split("<body>", 1)[1])  # labels, never catalog keys


@pytest.mark.parametrize(("contact", "kept"), [("081 234 5678", True), ("", False)])
def test_a_walk_in_report_is_recorded_routed_and_marked(ctx: Context, client: FlaskClient, contact: str,
                                                         kept: bool) -> None:
    from reports.models import Reporter

    log_in(ctx, client, HEAD_THA_UTHEN)
    form = client.get("/center/walk-in", base_url=BASE).get_data(as_text=True)
    data = {"csrf_token": csrf(form), "how": "phone", "category": "trafficking", "place": "ต.พนอม",
            "when": "today", "details": "ชาวบ้านโทรมาแจ้งว่ามีรถตู้พาเด็กข้ามไป", "contact": contact}
    page = client.post("/center/walk-in", data=data, base_url=BASE).get_data(as_text=True)
    ticket = re.search(r"(\d{7})", page.split(t("th", "ws_recorded", ticket="").split("{")[0].strip()[:8])[-1])
    assert ticket, page
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.execute(select(Report)).scalar_one()
        reporter = s.get(Reporter, report.reporter_id)
    assert (report.channel, report.center_id, report.category) == ("walk_in", "4803", "trafficking")
    assert report.details.startswith(f"[{t('th', 'ws_by_phone')}]")
    assert reporter is not None and bool(reporter.contact_enc) is kept
    assert "0812345678" not in (reporter.contact_enc or "")  # encrypted, never the number itself
    missing = client.post("/center/walk-in", data={**data, "place": ""}, base_url=BASE)
    assert missing.status_code == 400 and t("th", "ws_missing") in missing.get_data(as_text=True)


def test_dashboard_board_weekly_counts_and_map(ctx: Context, client: FlaskClient) -> None:
    report_many(ctx, ["แจ้ง ยาเสพติด ท่าอุเทน เรือขนกล่อง", "แจ้ง ยาเสพติด ท่าอุเทน เรือลำที่สอง",
                      "แจ้ง ลักลอบขนของ ท่าอุเทน รถขนบุหรี่"])
    log_in(ctx, client, HEAD_THA_UTHEN)
    resp = client.get("/center/dashboard", base_url=BASE)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<svg" in page and page.count("<path") >= 60  # every border district drawn
    assert page.count("<circle") == 3 and "http" not in page.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", "")  # nothing fetched from elsewhere
    rows = re.findall(r"<tr><td>(\d{4}-\d{2})</td><td>([^<]+)</td><td>([^<]+)</td><td>(\d+)</td>", page)
    assert sorted((d, c, int(n)) for _, d, c, n in rows) == [
        ("ท่าอุเทน", t("th", "cat_drugs"), 2), ("ท่าอุเทน", t("th", "cat_smuggling"), 1)]


def test_members_page_invites_and_broadcasts_for_the_head(ctx: Context, client: FlaskClient,
                                                           telegram: FakeTelegram) -> None:
    from centres import members

    log_in(ctx, client, HEAD_THA_UTHEN)
    page = client.get("/center/members", base_url=BASE).get_data(as_text=True)
    assert "Secretary Malee" in page and t("th", "role_secretary") in page and "+6681" not in page  # no numbers
    token = csrf(page)
    made = client.post("/center/members/invites", data={"csrf_token": token, "name": "Kamnan Boon",
                                                         "role": "coordinator", "days": "3"}, base_url=BASE)
    code = re.search(r"JOIN ([0-9A-Z]{4}-[0-9A-Z]{4})", made.get_data(as_text=True))
    assert made.status_code == 200 and code
    with ctx.sessions() as s:
        [invite] = members.open_invites(s, "4803")
    assert client.post(f"/center/members/invites/{invite.id}/revoke", data={"csrf_token": token},
                       base_url=BASE).status_code == 303
    with ctx.sessions() as s:
        assert members.open_invites(s, "4803") == []
    with pytest.raises(members.InviteError), ctx.sessions.begin() as s:  # a revoked code joins nobody
        members.redeem(s, ctx.settings.secret_key, code.group(1), telegram_user_id=999)
    bad = client.post("/center/members/invites", data={"csrf_token": token, "name": "X", "role": "king"},
                      base_url=BASE)
    assert bad.status_code == 400
    sent = client.post("/center/members/broadcasts", data={"csrf_token": token, "template": "training",
                                                           "date": "2026-12-20", "place": "ที่ว่าการอำเภอ",
                                                           "audience": "members"}, base_url=BASE)
    assert sent.status_code == 200 and re.search(r"Broadcast|ข่าว|\d+", sent.get_data(as_text=True))
    too_long = client.post("/center/members/broadcasts", data={"csrf_token": token, "text": "ข่าว" * 200,
                                                               "audience": "members"}, base_url=BASE)
    assert too_long.status_code == 400


def test_members_page_is_for_heads_and_secretaries(ctx: Context, client: FlaskClient) -> None:
    log_in(ctx, client, PROVINCE)  # a provincial desk reads cases but leads no centre
    assert client.get("/center/members", base_url=BASE).status_code == 403


def test_report_page_media_linked_reports_and_map(ctx: Context, client: FlaskClient) -> None:
    from tests.test_access import HEAD_CHIANG_KHONG
    from tests.test_web_report import _jpeg_with_gps, post, receipt

    with create_app(context=ctx).test_client() as villager:
        ticket, _ = receipt(post(villager, place="", lat="17.57", lon="104.59", photo=(io.BytesIO(_jpeg_with_gps()),
                                                                                      "x.jpg")))
        second, _ = receipt(post(villager, place="", lat="17.57", lon="104.59"))
    run_worker(ctx.redis)
    log_in(ctx, client, HEAD_THA_UTHEN)
    resp = client.get(f"/center/reports/{ticket}", base_url=BASE)
    page = resp.get_data(as_text=True)
    assert f'/center/reports/{ticket}/media/0' in page and "img-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "<svg" in page and "<circle" in page  # the point on the district's own outline
    assert f"/center/reports/{second}" in page  # the same incident, linked
    photo = client.get(f"/center/reports/{ticket}/media/0", base_url=BASE)
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    assert client.get(f"/center/reports/{ticket}/media/1", base_url=BASE).status_code == 404
    with create_app(context=ctx).test_client() as stranger:
        log_in(ctx, stranger, HEAD_CHIANG_KHONG)
        assert stranger.get(f"/center/reports/{ticket}/media/0", base_url=BASE).status_code == 404


def test_board_filters_by_language_flag_and_tambon(ctx: Context, client: FlaskClient) -> None:
    report_many(ctx, ["แจ้ง ยาเสพติด ต.พนอม เรือขนกล่อง", "ແຈ້ງ ຢາເສບຕິດ ທ່າອຸເທນ ເຮືອຂົນກ່ອງ",
                      "แจ้ง ยาเสพติด บ้านนอกเขตสุดทาง เรือขนกล่อง"])
    log_in(ctx, client, access.Principal("telegram", "999", "x"))  # nobody: the board is not theirs
    assert client.get("/center?language=lo", base_url=BASE).status_code == 401
    with ctx.sessions() as s:
        tambon = next(r.tambon_code for r in s.execute(select(Report)).scalars() if r.tambon_code)
    log_in(ctx, client, HEAD_THA_UTHEN)
    assert t("th", "ws_count", first=1, last=1, total=1) in board(client, "language=lo")
    by_tambon = board(client, f"tambon={tambon}")
    assert t("th", "ws_none") not in by_tambon and "ເຮືອຂົນກ່ອງ" not in by_tambon
    assert client.get("/center?tambon=12", base_url=BASE).status_code == 400


def test_questions_and_answers_show_on_the_report_page(ctx: Context, client: FlaskClient, telegram: FakeTelegram,
                                                      twilio_api: FakeAPI) -> None:
    [ticket] = report_many(ctx, ["แจ้ง ค้ามนุษย์ ท่าอุเทน รถตู้สองคันจอดริมโขง"])
    log_in(ctx, client, HEAD_THA_UTHEN)
    page = client.get(f"/center/reports/{ticket}", base_url=BASE).get_data(as_text=True)
    assert t("th", "ws_no_questions") in page
    resp = client.post(f"/center/reports/{ticket}/actions", data={"action": "ask", "question": "มีคนในรถกี่คน",
                                                                  "csrf_token": csrf(page)}, base_url=BASE)
    assert resp.headers["Location"].endswith("?done=ask")
    run_worker(ctx.redis)
    waiting = client.get(f"/center/reports/{ticket}", base_url=BASE).get_data(as_text=True)
    assert "มีคนในรถกี่คน" in waiting and t("th", "ws_waiting_answer") in waiting
    answer = Inbound("twilio", "SMans1", "+66810000000", "ประมาณสิบคน <b>ผู้หญิงเยอะ</b>", datetime.now(UTC))
    assert accept(ctx, Engine.for_context(ctx), answer).text == t("th", "relay_sent")
    run_worker(ctx.redis)
    answered = client.get(f"/center/reports/{ticket}", base_url=BASE).get_data(as_text=True)
    assert t("th", "ws_answer") in answered and "ประมาณสิบคน &lt;b&gt;ผู้หญิงเยอะ&lt;/b&gt;" in answered  # escaped
    assert t("th", "ws_waiting_answer") not in answered
    # the same answer went to the alert's Telegram thread: nothing the chat shows is missing from the page
    assert any("ประมาณสิบคน" in c.params.get("text", "") for c in telegram.sent())
    # the timeline in words, who in words (not "asked · web:head:…")
    assert t("th", "ws_ev_asked") in answered and t("th", "ws_ev_answered") in answered
    assert t("th", "ws_ev_read") in answered and f"({t('th', 'role_head')}, web)" in answered
    assert t("th", "ws_reporter") in answered and "web:telegram" not in answered


def test_asking_a_reporter_who_cannot_be_reached_says_so(ctx: Context, client: FlaskClient) -> None:
    log_in(ctx, client, HEAD_THA_UTHEN)
    page = client.get("/center/walk-in", base_url=BASE).get_data(as_text=True)
    client.post("/center/walk-in", data={"how": "in_person", "category": "drugs", "place": "ท่าอุเทน", "when": "today",
                                         "details": "เห็นเรือ", "csrf_token": csrf(page)}, base_url=BASE)
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        ticket = s.execute(select(Report.ticket)).scalar_one()
    resp = client.post(f"/center/reports/{ticket}/actions", data={"action": "ask", "question": "กี่ลำ",
                                                                  "csrf_token": csrf(page)}, base_url=BASE)
    assert resp.headers["Location"].endswith("?asked=no_contact")
    shown = client.get(resp.headers["Location"], base_url=BASE).get_data(as_text=True)
    assert t("th", "act_no_contact", ticket=ticket) in shown
    assert t("th", "ws_done", action=t("th", "act_ask")) not in shown


def test_board_filters_by_tambon_name_and_says_when_there_is_none(ctx: Context, client: FlaskClient) -> None:
    report_many(ctx, ["แจ้ง ยาเสพติด ต.พนอม เรือขนกล่อง", "แจ้ง ยาเสพติด ต.ไชยบุรี รถขนยา"])
    log_in(ctx, client, HEAD_THA_UTHEN)
    page = board(client)
    assert '<option value="พนอม">' in page  # the centre's tambons offered as the member types
    for name in ("พนอม", "ต.พนอม", "Phanom", "ພະນອມ"):
        by_name = board(client, f"tambon={name}")
        assert t("th", "ws_count", first=1, last=1, total=1) in by_name and "เรือขนกล่อง" in by_name, name
        assert 'name="tambon" value="พนอม"' in by_name  # shown by name, not code
    unknown = board(client, "tambon=ไม่มีตำบลนี้")
    assert t("th", "ws_tambon_unknown") in unknown and t("th", "ws_count", first=1, last=2, total=2) in unknown


def test_board_list_part_is_what_the_script_swaps_in(ctx: Context, client: FlaskClient) -> None:
    [first] = report_many(ctx, ["แจ้ง ยาเสพติด ท่าอุเทน เรือขนกล่อง"])
    log_in(ctx, client, HEAD_THA_UTHEN)
    page = client.get("/center", base_url=BASE)
    html = page.get_data(as_text=True)
    assert '<script src="/static/board.js" defer>' in html and 'data-live="1"' in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert '<noscript><meta http-equiv="refresh"' in html  # without script: the page reloads itself
    part = client.get("/center?category=drugs", base_url=BASE, headers={"X-Board-Part": "list"})
    body = part.get_data(as_text=True)
    assert part.status_code == 200 and f'data-ticket="{first}"' in body
    assert "<form" not in body and "<html" not in body  # only the list
    later = board(client, "offset=50")
    assert "board.js" not in later  # a deeper page stays still while being read
    script = client.get("/static/board.js", base_url=BASE)
    assert script.status_code == 200 and "X-Board-Part" in script.get_data(as_text=True)


def test_report_page_draws_the_tambon_in_its_district(ctx: Context, client: FlaskClient) -> None:
    [ticket] = report_many(ctx, ["แจ้ง ยาเสพติด ต.พนอม อ.ท่าอุเทน เรือขนกล่อง"])
    log_in(ctx, client, HEAD_THA_UTHEN)
    page = client.get(f"/center/reports/{ticket}", base_url=BASE).get_data(as_text=True)
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert svg.count("<path") > 3 and svg.count('fill="#cfe2f3"') == 1  # the district's tambons, one filled
    assert "<title>พนอม</title>" in svg


def test_a_desk_over_several_districts_filters_by_district(ctx: Context, client: FlaskClient) -> None:
    report_many(ctx, ["แจ้ง ยาเสพติด ท่าอุเทน เรือขนกล่อง", "แจ้ง ยาเสพติด เมืองนครพนม รถขนยา"])
    log_in(ctx, client, PROVINCE)  # the provincial desk reads Tha Uthen and Mueang Nakhon Phanom
    page = board(client)
    lang = re.search(r'<html lang="(\w+)"', page).group(1)  # type: ignore[union-attr]
    assert '<select name="district">' in page and '<option value="4803" >' in page and '<option value="4801" >' in page
    assert f">{ctx.gazetteer.district_name('4803', lang)}</option>" in page  # named in the reader's language
    only = board(client, "district=4801")
    assert t(lang, "ws_count", first=1, last=1, total=1) in only and "รถขนยา" in only and "เรือขนกล่อง" not in only
    log_in(ctx, client, HEAD_THA_UTHEN)
    assert '<select name="district">' not in board(client)  # one district: nothing to choose
