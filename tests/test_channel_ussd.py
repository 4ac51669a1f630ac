"""USSD (Africa's Talking form): secrets, parsing, CON/END screens within 80 UCS-2 / 182 GSM-7 characters,
paging, `*` inside answers, redelivered hops, resuming a dropped session, a report in every language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from flows.definitions import load_flow
from flows.engine import Engine
from gateway.app import create_app
from gateway.channels import ussd
from gateway.channels.events import Reply
from i18n import LANGUAGES
from i18n.catalog import text as t
from i18n.messages import REPORTER
from i18n.sms import utf16_units
from reports.context import Context
from reports.models import Report
from tests.channels import Case, assert_nothing_stored, load_fixture
from tests.conftest import USSD_SECRET as SECRET
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import rq_queue, run_worker

PATH = "/webhooks/ussd"
PHONES = {"th": "+66812345678", "lo": "+8562055512345", "km": "+85512345678", "en": "+66898765432"}


@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as c:
        yield c


def hop(client: FlaskClient, text: str, session: str = "S1", phone: str = PHONES["th"], secret: str = SECRET) -> str:
    resp = client.post(f"{PATH}?secret={secret}", data=urlencode(
        {"sessionId": session, "serviceCode": "*384*1234#", "phoneNumber": phone, "networkCode": "52001",
         "text": text}), content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.content_type.startswith("text/plain")
    screen = resp.get_data(as_text=True)
    assert screen.startswith(("CON ", "END "))
    assert ussd.fits(screen), f"{utf16_units(screen)} units: {screen!r}"
    return screen


CASES = [
    Case("first dial shows the category menu", "session__first_dial", 200, reply="CON แจ้งเรื่องอะไร"),
    Case("a Lao SIM gets Lao", "session__first_dial_lao_sim", 200, reply="CON ແຈ້ງເລື່ອງຫຍັງ"),
    Case("quick-dial one-line report ends with the ticket", "session__quick_dial_one_line", 200,
         reply="END รับแจ้งแล้ว เลขที่"),
    Case("repeated hop gets the same screen", "session__first_dial", 200, reply="CON", repeat=2),
    Case("wrong secret", "session__first_dial", 401, stores=False, sign="bad"),
    Case("no secret", "session__first_dial", 401, stores=False, sign="none"),
    Case("secret in the header", "session__first_dial", 200, reply="CON", sign="header"),
    Case("missing phoneNumber", "session__missing_phone", 400, stores=False),
    Case("oversized body", None, 413, stores=False, body=b"text=" + b"1" * 70_000),
    Case("broken UTF-8", None, 400, stores=False, body=b"sessionId=S&phoneNumber=%2B66812345678&text=%E0%B8"),
    Case("JSON instead of a form", None, 400, stores=False, body=b'{"text": ""}', content_type="application/json"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_ussd_webhook(client: FlaskClient, redis: Redis, case: Case) -> None:
    query = {"good": f"?secret={SECRET}", "bad": "?secret=nope", "none": "", "header": ""}[case.sign]
    headers = {"X-USSD-Secret": SECRET} if case.sign == "header" else {}
    body = case.body if case.body is not None else urlencode(load_fixture("ussd", case.fixture or "")).encode()
    screens = []
    for _ in range(case.repeat):
        resp = client.post(PATH + query, data=body, headers=headers, content_type=case.content_type)
        assert resp.status_code == case.status, resp.get_data(as_text=True)
        screens.append(resp.get_data(as_text=True))
    if not case.stores:
        assert_nothing_stored(redis)
        return
    assert len(set(screens)) == 1
    assert case.reply and screens[0].startswith(case.reply)
    assert ussd.fits(screens[0])


def test_not_configured_answers_503(ctx: Context, redis: Redis) -> None:

    ctx.settings = ctx.settings.replace(ussd_secret="")
    with create_app(context=ctx).test_client() as c:
        resp = c.post(PATH, data=urlencode(load_fixture("ussd", "session__first_dial")),
                      content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 503
    assert_nothing_stored(redis)


ANSWERS = {
    "th": ["2", "ท่าอุเทน", "1", "เรือสองลำขนกล่อง", "1"],
    "lo": ["1", "ທ່າແຂກ", "2", "ລົດຕູ້ພາແມ່ຍິງ", "1"],
    "km": ["3", "ប៉ោយប៉ែត", "3", "មនុស្សដប់នាក់", "1"],
    "en": ["4", "Chiang Khong", "2", "pickup with cigarettes", "1"],
}


EXPECTED_CENTRE = {"th": "4803", "lo": "4801", "km": "2706", "en": "5703"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_report_in_every_language(client: FlaskClient, ctx: Context, telegram: FakeTelegram, lang: str) -> None:
    phone = PHONES[lang]
    if lang == "en":
        # An English speaker on a Thai SIM says so once (by SMS or here); it is remembered.
        ctx.redis.hset(f"nts:profile:{ctx_pid(ctx, phone)}", mapping={"lang": "en"})
    text = ""
    screens = [hop(client, text, session=f"S-{lang}", phone=phone)]
    for answer in ANSWERS[lang]:
        text = f"{text}*{answer}" if text else answer
        screens.append(hop(client, text, session=f"S-{lang}", phone=phone))
    assert screens[0].startswith("CON " + t(lang, "title_category"))
    assert screens[-1].startswith("END ")
    ticket = re.search(r"[0-9]{6,}", screens[-1])
    assert ticket
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.execute(select(Report).where(Report.ticket == ticket.group(0))).scalar_one()
    assert (report.channel, report.language, report.center_id) == ("ussd", lang, EXPECTED_CENTRE[lang])
    if report.center_id != "5703":  # Chiang Khong's test centre has only the inbox
        assert [ticket.group(0) in c.params["text"] for c in telegram.sent()] == [True]


def ctx_pid(ctx: Context, phone: str) -> str:
    from reports.identity import pseudonym

    return pseudonym(ctx.settings.secret_key, phone)


def test_star_inside_an_answer_is_kept(client: FlaskClient, redis: Redis) -> None:
    for text in ["", "2", "2*ท่าอุเทน", "2*ท่าอุเทน*1", "2*ท่าอุเทน*1*เรือ*2 ลำ*ตีสอง"]:
        screen = hop(client, text)
    assert screen.endswith(f"1 {t('th', 'opt_send')}\n0 {t('th', 'opt_change')}\n9 {t('th', 'opt_cancel')}")
    payload = hop(client, "2*ท่าอุเทน*1*เรือ*2 ลำ*ตีสอง*1")
    assert payload.startswith("END ")
    job = rq_queue(redis).get_jobs()[0]
    raw = redis.get(f"nts:intake:{job.args[0]}")
    assert isinstance(raw, bytes) and "เรือ*2 ลำ*ตีสอง" in raw.decode()


def test_paging_next_and_previous(client: FlaskClient) -> None:
    first = hop(client, "", phone=PHONES["km"])
    assert f"{ussd.NEXT_PAGE} " in first and "\n5 " not in first
    second = hop(client, "99", phone=PHONES["km"])
    assert "\n5 " in second and f"\n{ussd.PREVIOUS_PAGE} " in second
    assert hop(client, "99*0", phone=PHONES["km"]) == first
    # An option from the second page is taken by its own number.
    assert hop(client, "99*0*5", phone=PHONES["km"]).startswith("CON " + t("km", "ask_place")[:10])


def test_zero_on_the_first_page_is_the_flows_back(client: FlaskClient) -> None:
    hop(client, "")
    hop(client, "2")
    assert hop(client, "2*0").startswith("CON " + t("th", "title_category"))


def test_dropped_session_can_continue_within_ten_minutes(client: FlaskClient) -> None:
    hop(client, "", session="A")
    hop(client, "2", session="A")
    offer = hop(client, "", session="B")  # the call dropped; the reporter dials again
    assert offer == f"CON {t('th', 'resume_question')}\n1 {t('th', 'resume_continue')}\n2 {t('th', 'resume_restart')}"
    assert hop(client, "1", session="B").startswith("CON " + t("th", "ask_place")[:8])
    hop(client, "", session="C")
    assert hop(client, "2", session="C").startswith("CON " + t("th", "title_category"))


def test_same_phone_same_reporter_across_sms_and_ussd(client: FlaskClient, ctx: Context) -> None:
    from datetime import UTC, datetime

    from gateway.channels.events import Inbound

    engine = Engine.for_context(ctx)
    engine.handle(Inbound("twilio", "SM1", PHONES["th"], "แจ้ง ยาเสพติด", datetime.now(UTC)))
    offer = hop(client, "", session="X")  # the SMS conversation can be finished on USSD
    assert offer.startswith("CON " + t("th", "resume_question"))
    assert hop(client, "1", session="X").startswith("CON " + t("th", "ask_place")[:8])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_screen_of_the_flow_fits(ctx: Context, lang: str) -> None:
    engine = Engine.for_context(ctx)
    longest_place = "ต.เวินพระบาท อ.ท่าอุเทน จ.นครพนม"
    longest_district = max((ctx.gazetteer.district_name(code, lang) or "" for code in ctx.gazetteer.districts), key=len)
    screens: list[str] = []
    for step in load_flow().steps:
        title = t(lang, f"title_{step.expects}", category=t(lang, "cat_trafficking"), place=longest_place) \
            if step.expects in ("category", "when", "confirm") else t(lang, step.prompt)
        for notice in ("", t(lang, "not_understood"), t(lang, "restarted")):
            reply = Reply(text=title, language=lang, title=title, notice=notice, final=False,
                          options=engine.options(step, lang))
            screens += ussd._pages(reply)
        if step.retry_prompt:
            screens += ussd._pages(Reply(t(lang, step.retry_prompt), lang, final=False))
    for key in REPORTER:
        if key.startswith(("ask_", "confirm", "report_received", "not_understood")):
            continue
        text = t(lang, key, ticket="1234567890", status=t(lang, "status_assigned"), district=longest_district)
        screen = f"END {text}"
        assert ussd.fits(screen), f"{lang}/{key}: {utf16_units(screen)} units"
    screens.append(ussd._pages(Reply("", lang, ticket="1234567890"))[0])
    for s in screens:
        assert ussd.fits(s), f"{utf16_units(s)} units: {s!r}"
        assert "…" not in s.split("\n", 1)[-1]  # options are never cut
    print(f"{lang}: {len(screens)} screens, longest {max(utf16_units(s) for s in screens)} units")


@pytest.mark.parametrize(
    ("previous", "text", "expected"),
    [(None, "", ""), (None, "2", "2"), ("", "2", "2"), ("2", "2*ท่าอุเทน", "ท่าอุเทน"), ("2", "2", None),
     ("2*x", "2*x*a*b", "a*b"), ("2*x", "9*y", "y")],
)
def test_new_input(previous: str | None, text: str, expected: str | None) -> None:
    assert ussd.new_input(previous, text) == expected
