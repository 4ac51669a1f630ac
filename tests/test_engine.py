"""flows.engine: conversations in th/lo/km/en — one-line reports, questions for what is missing, back,
cancel, expiry, STATUS, language memory — with every reply inside the two-SMS budget."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from redis import ConnectionPool, Redis

from flows.engine import Engine
from gateway.channels.events import Inbound, Reply
from i18n.catalog import text as t
from i18n.sms import sms_size
from reports import keys
from reports.places import gazetteer
from reports.queue import JobQueue
from tests.conftest import SECRET_KEY
from tests.helpers import rq_queue
from workers.registry import ENTRIES

PHONES = {"th": "+66812345678", "lo": "+8562055512345", "km": "+85512345678", "en": "+66898765432"}
_ids = itertools.count()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(redis: Redis, clock: Clock) -> Iterator[Engine]:
    decoded = Redis(connection_pool=ConnectionPool(**{**redis.connection_pool.connection_kwargs,
                                                      "decode_responses": True}))
    yield Engine(decoded, gazetteer(), SECRET_KEY, JobQueue(redis, ENTRIES), clock=clock)


def send(engine: Engine, text: str, sender: str = PHONES["th"], **extra: object) -> Reply:
    msg = Inbound(channel="twilio", provider_id=f"SM{next(_ids)}", address=sender, text=text,
                  received_at=datetime.now(UTC), **extra)  # type: ignore[arg-type]
    reply = engine.handle(msg)
    size = sms_size(reply.text)
    assert size.parts <= 2, f"reply over budget ({size.units} units): {reply.text}"
    return reply


def intake(redis: Redis, reply: Reply) -> dict[str, object]:
    assert reply.report_id is not None
    raw = redis.get(keys.INTAKE(reply.report_id))
    assert raw is not None
    payload: dict[str, object] = json.loads(raw)
    return payload


ONE_LINERS = {
    "th": ("แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", "drugs", "4803"),
    "lo": ("ແຈ້ງ ຢາເສບຕິດ ທ່າແຂກ ເຫັນເຮືອຂົນຂອງຂ້າມຂອງ", "drugs", "4801"),
    "km": ("រាយការណ៍ ជួញដូរមនុស្ស ប៉ោយប៉ែត ឃើញឡានដឹកមនុស្សច្រើន", "trafficking", "2706"),
    "en": ("REPORT smuggling Chiang Khong trucks full of cigarettes", "smuggling", "5703"),
}


@pytest.mark.parametrize("lang", ["th", "lo", "km", "en"])
def test_one_line_report_completes_at_once(engine: Engine, redis: Redis, lang: str) -> None:
    text, category, district = ONE_LINERS[lang]
    reply = send(engine, text, PHONES[lang])
    assert reply.ticket is not None and reply.language == lang
    assert reply.text == t(lang, "report_received", ticket=reply.ticket)
    payload = intake(redis, reply)
    assert payload["category"] == category and payload["when"] == "now" and payload["one_line"] is True
    assert payload["place"]["district_code"] == district  # type: ignore[index]
    assert PHONES[lang] not in json.dumps(payload)  # only the encrypted contact travels
    assert rq_queue(redis).count == 1
    assert redis.get(keys.TICKET_STATUS(reply.ticket)) == b"received"


# Each conversation: (message, the key of the expected reply). Replies are in the language of the script.
CONVERSATIONS = {
    "th": ["สวัสดีครับ", "2", "ที่ อ.ท่าอุเทน", "1", "เห็นเรือสองลำขนกล่องขึ้นฝั่ง", "1"],
    "lo": ["ສະບາຍດີ", "1", "ທ່າແຂກ", "2", "ມີລົດຕູ້ພາແມ່ຍິງຂ້າມໄປ", "1"],
    "km": ["សួស្តី", "3", "ប៉ោយប៉ែត", "3", "មនុស្សដប់នាក់ឆ្លងព្រំដែនពេលយប់", "1"],
    "en": ["hello", "4", "Chiang Khong", "2", "a pickup loaded with cigarettes", "1"],
}
EXPECTED_KEYS = ["ask_category", "ask_place", "ask_when", "ask_details", "confirm", "report_received"]


@pytest.mark.parametrize("lang", ["th", "lo", "km", "en"])
def test_conversation_asks_each_question_in_the_reporters_language(engine: Engine, redis: Redis,
                                                                    lang: str) -> None:
    replies = [send(engine, m, PHONES[lang]) for m in CONVERSATIONS[lang]]
    for reply, key in zip(replies, EXPECTED_KEYS, strict=True):
        assert reply.language == lang
        if key.startswith("ask_"):
            assert reply.text == t(lang, key)
    assert replies[-1].ticket is not None
    payload = intake(redis, replies[-1])
    assert payload["one_line"] is False
    assert payload["category"] == ["trafficking", "drugs", "migration", "smuggling"][int(CONVERSATIONS[lang][1]) - 1]
    assert payload["when"] == {"1": "now", "2": "today", "3": "earlier"}[CONVERSATIONS[lang][3]]


def test_only_missing_slots_are_asked(engine: Engine) -> None:
    assert send(engine, "แจ้ง ยาเสพติด").text == t("th", "ask_place")
    assert send(engine, "ท่าอุเทน").text == t("th", "ask_when")


def test_category_and_place_in_one_answer(engine: Engine) -> None:
    send(engine, "สวัสดี")
    assert send(engine, "ยาบ้า ท่าอุเทน").text == t("th", "ask_when")


def test_wrong_answers_are_asked_again_politely(engine: Engine) -> None:
    send(engine, "สวัสดี")
    reply = send(engine, "8")
    assert reply.text == f"{t('th', 'not_understood')} {t('th', 'ask_category')}"
    send(engine, "1")
    assert send(engine, "xyzzy").text == t("th", "place_not_found")
    # After the last try the words are kept for the centre to read, flagged by the worker.
    assert send(engine, "หลังวัดป่าริมโขง").text == t("th", "ask_when")


def test_back_goes_one_question_back(engine: Engine) -> None:
    send(engine, "สวัสดี")
    send(engine, "2")
    send(engine, "ท่าอุเทน")
    assert send(engine, "0").text == t("th", "ask_place")
    assert send(engine, "ย้อนกลับ").text == t("th", "ask_category")
    assert send(engine, "3").text == t("th", "ask_place")


def test_confirm_change_and_cancel(engine: Engine, redis: Redis) -> None:
    for m in ["สวัสดี", "2", "ท่าอุเทน", "1", "เรือ"]:
        reply = send(engine, m)
    assert "ยาเสพติด" in reply.text and "อ.ท่าอุเทน" in reply.text
    assert send(engine, "0").text == t("th", "ask_details")
    send(engine, "เรือสองลำ")
    assert send(engine, "9").text == t("th", "cancelled")
    assert redis.get(keys.CONVERSATION(engine_pid(PHONES["th"]))) is None


def test_cancel_word_in_any_step(engine: Engine) -> None:
    send(engine, "ສະບາຍດີ", PHONES["lo"])
    assert send(engine, "ຍົກເລີກ", PHONES["lo"]).text == t("lo", "cancelled")


def test_long_details_are_cut_in_the_confirmation(engine: Engine) -> None:
    for m in ["สวัสดี", "2", "ท่าอุเทน", "1"]:
        send(engine, m)
    reply = send(engine, "เห็นเรือ" * 60)
    assert "…" in reply.text and sms_size(reply.text).parts == 2


def test_left_too_long_restarts_politely(engine: Engine, clock: Clock) -> None:
    send(engine, "สวัสดี")
    send(engine, "2")
    clock.now += 2 * 3600
    reply = send(engine, "ท่าอุเทน")
    assert reply.text.startswith(t("th", "restarted"))


def test_coming_back_within_the_timeout_continues(engine: Engine, clock: Clock) -> None:
    send(engine, "สวัสดี")
    send(engine, "2")
    clock.now += 45 * 60
    assert send(engine, "ท่าอุเทน").text == t("th", "ask_when")


def test_report_word_mid_conversation_starts_a_new_report(engine: Engine) -> None:
    send(engine, "สวัสดี")
    reply = send(engine, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของ")
    assert reply.ticket is not None


@pytest.mark.parametrize("lang", ["th", "lo", "km", "en"])
def test_status_in_every_language(engine: Engine, redis: Redis, lang: str) -> None:
    ticket = send(engine, ONE_LINERS[lang][0], PHONES[lang]).ticket
    assert ticket
    word = {"th": "สถานะ", "lo": "ສະຖານະ", "km": "ស្ថានភាព", "en": "STATUS"}[lang]
    reply = send(engine, f"{word} {ticket}", PHONES[lang])
    assert reply.text == t(lang, "status_reply", ticket=ticket, status=t(lang, "status_received"))
    redis.set(keys.TICKET_STATUS(ticket), "acknowledged")
    reply = send(engine, f"{word} {ticket}", PHONES[lang])
    assert reply.text.endswith(t(lang, "status_acknowledged"))


def test_status_answers_only_the_reporter_and_tells_others_nothing(engine: Engine) -> None:
    from flows.submit import allocate_ticket

    ticket = send(engine, ONE_LINERS["th"][0], "+66812345678").ticket
    assert ticket
    never_made = allocate_ticket(engine.redis)  # a valid ticket nobody reported under
    for other in ("+66899999999", "tg:555"):
        assert send(engine, f"สถานะ {ticket}", other).text == t("th", "status_not_here", ticket=ticket)
        assert send(engine, f"สถานะ {never_made}", other).text == t("th", "status_not_here", ticket=never_made)
    mine = send(engine, f"สถานะ {ticket}", "+66812345678").text
    assert mine == t("th", "status_reply", ticket=ticket, status=t("th", "status_received"))


def test_status_of_an_unknown_or_mistyped_ticket(engine: Engine) -> None:
    ticket = send(engine, ONE_LINERS["th"][0]).ticket
    assert ticket
    i = next(i for i in range(len(ticket) - 1) if ticket[i] != ticket[i + 1])
    typo = ticket[:i] + ticket[i + 1] + ticket[i] + ticket[i + 2:]  # two digits swapped: the check digit catches it
    assert send(engine, f"STATUS {typo}").text == t("th", "status_unknown", ticket=typo)
    assert send(engine, "สถานะ").text == t("th", "status_ask_ticket")


def test_language_is_remembered_for_keyword_only_messages(engine: Engine) -> None:
    ticket = send(engine, ONE_LINERS["lo"][0], PHONES["lo"]).ticket
    reply = send(engine, f"STATUS {ticket}", PHONES["lo"])
    assert reply.language == "lo"


def test_place_answer_in_latin_letters_keeps_the_language(engine: Engine) -> None:
    send(engine, "สวัสดี")
    send(engine, "2")
    reply = send(engine, "Poipet")
    assert reply.language == "th" and reply.text == t("th", "ask_when")


def test_explicit_language_choice(engine: Engine) -> None:
    assert send(engine, "English").text == t("en", "language_set")
    assert send(engine, "ລາວ").text == t("lo", "language_set")


def test_unexpected_script_gets_a_clear_answer(engine: Engine) -> None:
    reply = send(engine, "我看见有人走私", PHONES["km"])
    assert reply.language == "km" and reply.text == t("km", "unsupported_script")


def test_gps_location_fills_the_place(engine: Engine, redis: Redis) -> None:
    send(engine, "สวัสดี")
    send(engine, "2")
    reply = send(engine, "", location=(17.57, 104.6))
    assert reply.text == t("th", "ask_when")


@pytest.mark.parametrize("typed", ["17.57,104.59", "https://maps.google.com/?q=17.57,104.59", "๑๗.๕๗, ๑๐๔.๕๙"])
def test_point_typed_as_the_answer_to_where(engine: Engine, redis: Redis, typed: str) -> None:
    send(engine, "สวัสดี")
    send(engine, "2")
    assert send(engine, typed).text == t("th", "ask_when")
    send(engine, "1")
    reply = send(engine, "เรือขนกล่องขึ้นฝั่ง")
    if reply.report_id is None:
        reply = send(engine, "1")
    data = intake(redis, reply)
    assert data["place"]["district_code"] == "4803"  # type: ignore[index]
    assert data["location"] == [17.57, 104.59]


def test_point_in_a_one_line_report_is_kept(engine: Engine, redis: Redis) -> None:
    data = intake(redis, send(engine, "REPORT drugs 17.57,104.59 boat unloading now", PHONES["en"]))
    assert data["place"]["district_code"] == "4803" and data["location"] == [17.57, 104.59]  # type: ignore[index]


def test_stop_and_forget(engine: Engine, redis: Redis) -> None:
    send(engine, "สวัสดี")
    assert send(engine, "STOP").text == t("th", "stopped")
    assert send(engine, "ลืมฉัน").text == t("th", "forgotten")
    pid = engine_pid(PHONES["th"])
    assert redis.get(keys.CONVERSATION(pid)) is None and not redis.exists(keys.PROFILE(pid))
    assert [j.func_name for j in rq_queue(redis).get_jobs()] == ["workers.jobs.unsubscribe",
                                                                  "workers.jobs.forget"]


def test_no_phone_number_in_redis(engine: Engine, redis: Redis) -> None:
    for m in CONVERSATIONS["th"]:
        send(engine, m)
    for key in redis.scan_iter():
        assert b"812345678" not in key
        if redis.type(key) == b"string":
            assert b"812345678" not in (redis.get(key) or b"")


def engine_pid(address: str) -> str:
    from reports.identity import pseudonym

    return pseudonym(SECRET_KEY, address)
