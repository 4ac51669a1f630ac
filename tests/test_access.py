"""Every person acts as themselves and sees only their centre: one-time login links from the bot, browser
sessions, the scope of members and desks, named API tokens with scopes, audited reads."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from centres import access, logins, tokens
from gateway.app import create_app
from gateway.cli import main
from i18n.catalog import text as t
from reports import keys
from reports.context import Context
from reports.models import AuditEvent, LoginCode, WebSession, utcnow
from tests.conftest import API_TOKEN, TELEGRAM_WEBHOOK_SECRET
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker, stored_report

BASE = "https://gateway.example.org"  # NTS_PUBLIC_URL of the tests: cookies are Secure
HEAD_THA_UTHEN = access.Principal("telegram", "111", "Nai Amphoe")
HEAD_CHIANG_KHONG = access.Principal("telegram", "222", "Nai Amphoe Chiang Khong")
PROVINCE = access.Principal("telegram", "480", "Provincial officer Wichai")


@pytest.fixture
def client(ctx: Context) -> FlaskClient:
    return create_app(context=ctx).test_client()


@pytest.fixture
def cases(ctx: Context) -> dict[str, str]:
    """A report at Tha Uthen (4803), one at Chiang Khong (5703), one at Mueang Nakhon Phanom (4801)."""
    return {"4803": stored_report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง").ticket,
            "5703": stored_report(ctx, "แจ้ง ลักลอบขนของ เชียงของ รถกระบะขนบุหรี่", sender="+66812345670").ticket,
            "4801": stored_report(ctx, "ແຈ້ງ ຄ້າມະນຸດ ເມືອງນະຄອນພະນົມ ລົດຕູ້ສອງຄັນ", sender="+8562055512345").ticket}


def log_in(ctx: Context, client: FlaskClient, principal: access.Principal) -> Any:
    code = logins.make_login_code(ctx, principal)
    return client.get(f"/login/{code}", base_url=BASE, headers={"User-Agent": "Mozilla/5.0 (X11) Chrome/156"})


def test_a_login_link_starts_a_private_session_once(ctx: Context, client: FlaskClient) -> None:
    code = logins.make_login_code(ctx, HEAD_THA_UTHEN)
    preview = client.get(f"/login/{code}", base_url=BASE, headers={"User-Agent": "TelegramBot (like TwitterBot)"})
    assert preview.status_code == 200 and "Set-Cookie" not in preview.headers  # the code is not spent
    resp = client.get(f"/login/{code}", base_url=BASE)
    assert resp.status_code == 303 and resp.headers["Location"] == "/center"
    cookie = resp.headers["Set-Cookie"]
    assert "nts_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert client.get("/center", base_url=BASE).status_code == 200
    again = create_app(context=ctx).test_client().get(f"/login/{code}", base_url=BASE)
    assert again.status_code == 404  # used once
    with ctx.sessions() as s:
        assert s.execute(select(LoginCode.code_hash)).scalar_one() != code  # only a keyed hash is kept


def test_an_expired_link_and_a_made_up_one_open_nothing(ctx: Context, client: FlaskClient) -> None:
    code = logins.make_login_code(ctx, HEAD_THA_UTHEN)
    with ctx.sessions.begin() as s:
        s.execute(update(LoginCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(f"/login/{code}", base_url=BASE).status_code == 404
    assert client.get("/login/made-up-code", base_url=BASE).status_code == 404
    assert client.get("/center", base_url=BASE).status_code == 401


def test_the_shared_api_token_is_no_web_password(client: FlaskClient) -> None:
    import base64

    basic = {"Authorization": "Basic " + base64.b64encode(f"x:{API_TOKEN}".encode()).decode()}
    assert client.get("/center", headers=basic).status_code == 401
    assert client.get("/center", headers={"Authorization": f"Bearer {API_TOKEN}"}).status_code == 401


@pytest.mark.parametrize(("who", "reads", "hidden"), [
    (HEAD_THA_UTHEN, ["4803"], ["5703", "4801"]),
    (HEAD_CHIANG_KHONG, ["5703"], ["4803", "4801"]),
    (PROVINCE, ["4803", "4801"], ["5703"]),  # the provincial desk reads its province's centres
], ids=["head of Tha Uthen", "head of Chiang Khong", "provincial desk"])
def test_a_member_sees_their_centres_and_nothing_else(ctx: Context, client: FlaskClient, cases: dict[str, str],
                                                      who: access.Principal, reads: list[str],
                                                      hidden: list[str]) -> None:
    log_in(ctx, client, who)
    listing = client.get("/center", base_url=BASE).get_data(as_text=True)
    for centre in reads:
        assert cases[centre] in listing
        page = client.get(f"/center/reports/{cases[centre]}", base_url=BASE)
        assert page.status_code == 200 and cases[centre] in page.get_data(as_text=True)
    for centre in hidden:
        assert cases[centre] not in listing
        assert client.get(f"/center/reports/{cases[centre]}", base_url=BASE).status_code == 404
        assert cases[centre] not in client.get(f"/center?center={centre}", base_url=BASE).get_data(as_text=True)
    assert client.get("/center/reports/0000000", base_url=BASE).status_code == 404  # the same as a stranger's


def test_every_opening_is_audited_and_on_the_timeline(ctx: Context, client: FlaskClient,
                                                       cases: dict[str, str]) -> None:
    log_in(ctx, client, HEAD_THA_UTHEN)
    client.get(f"/center/reports/{cases['4803']}", base_url=BASE)
    page = client.get(f"/center/reports/{cases['4803']}", base_url=BASE).get_data(as_text=True)
    with ctx.sessions() as s:
        reads = [e.actor for e in s.execute(select(AuditEvent).where(AuditEvent.event == "read")).scalars()]
    assert reads == ["web:telegram:111"] * 2
    # on the timeline in words: the member's name and role, not their account id
    assert f"{t('th', 'ws_ev_read')} · Nai Amphoe ({t('th', 'role_head')}, web)" in page and "telegram:111" not in page


def test_logout_and_ending_another_session(ctx: Context, cases: dict[str, str]) -> None:
    phone, laptop = create_app(context=ctx).test_client(), create_app(context=ctx).test_client()
    log_in(ctx, phone, HEAD_THA_UTHEN)
    log_in(ctx, laptop, HEAD_THA_UTHEN)
    listing = laptop.get("/center/sessions", base_url=BASE).get_data(as_text=True)
    ids = re.findall(r"/center/sessions/([0-9a-f]{16})/end", listing)
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', listing)
    assert len(ids) == 2 and csrf
    assert laptop.post(f"/center/sessions/{ids[0]}/end", base_url=BASE).status_code == 400  # no CSRF token
    for session_id in reversed(ids):  # the phone's (older) first, then the laptop's own (listed first)
        laptop.post(f"/center/sessions/{session_id}/end", data={"csrf_token": csrf.group(1)}, base_url=BASE)
    assert phone.get("/center", base_url=BASE).status_code == 401
    assert laptop.get("/center", base_url=BASE).status_code == 401
    log_in(ctx, phone, HEAD_THA_UTHEN)
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', phone.get("/center", base_url=BASE)
                      .get_data(as_text=True))
    assert token and phone.post("/logout", data={"csrf_token": token.group(1)}, base_url=BASE).status_code == 303
    assert phone.get("/center", base_url=BASE).status_code == 401


def test_an_idle_session_ends(ctx: Context, client: FlaskClient) -> None:
    log_in(ctx, client, HEAD_THA_UTHEN)
    assert client.get("/center", base_url=BASE).status_code == 200
    with ctx.sessions.begin() as s:
        s.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(seconds=logins.IDLE_S + 1)))
    assert client.get("/center", base_url=BASE).status_code == 401


def test_a_removed_member_loses_access_at_once(ctx: Context, client: FlaskClient, cases: dict[str, str]) -> None:
    stranger = access.Principal("telegram", "999000999", "Former member")
    log_in(ctx, client, stranger)  # a link made for somebody who is not (or no longer) a member
    assert client.get("/center", base_url=BASE).status_code == 401


def updates_for(user: int, text: str, update_id: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 1, "text": text,
                                                "chat": {"id": user, "type": "private"},
                                                "from": {"id": user, "is_bot": False, "first_name": "M"}}}


def test_the_bot_hands_a_member_their_link_and_refuses_others(ctx: Context, client: FlaskClient,
                                                              telegram: FakeTelegram) -> None:
    for user, n in ((111, 1), (999000999, 2)):
        resp = client.post("/webhooks/telegram", data=json.dumps(updates_for(user, "/login", n)),
                           headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET},
                           content_type="application/json")
        assert resp.status_code == 200
    run_worker(ctx.redis)
    answers = {c.params["chat_id"]: c.params for c in telegram.sent()}
    link = re.search(r"https://gateway\.example\.org/login/(\S+)", answers["111"]["text"])
    assert link and json.loads(answers["111"]["link_preview_options"]) == {"is_disabled": True}
    assert "/login/" not in answers["999000999"]["text"]
    assert client.get(f"/login/{link.group(1)}", base_url=BASE).status_code == 303
    assert client.get("/center", base_url=BASE).status_code == 200


# -- API tokens --------------------------------------------------------------------------------------------------
TOKENS = {  # name -> (centres, scopes)
    "read-4803": (["4803"], ["reports:read"]),
    "read-all": (["*"], ["reports:read"]),
    "upload": (["4803"], ["reports:upload"]),
    "broadcast-4803": (["4803"], ["broadcast"]),
}
ITEM = {"client_id": "tablet-1-0001", "category": "drugs", "place": "ท่าอุเทน", "details": "เรือขนของ"}
# token, request, expected status: the access matrix
MATRIX = [
    ("read-4803", "list", 200), ("read-4803", "read 4803", 200), ("read-4803", "read 5703", 404),
    ("read-4803", "upload", 403), ("read-4803", "broadcast 4803", 403),
    ("read-all", "read 4803", 200), ("read-all", "read 5703", 200), ("read-all", "upload", 403),
    ("upload", "list", 403), ("upload", "read 4803", 403), ("upload", "upload", 200),
    ("upload", "broadcast 4803", 403),
    ("broadcast-4803", "broadcast 4803", 202), ("broadcast-4803", "broadcast 5703", 404),
    ("broadcast-4803", "read 4803", 403),
    ("operator", "read 5703", 200), ("operator", "upload", 200), ("operator", "broadcast 5703", 202),
    ("revoked", "read 4803", 401), ("expired", "read 4803", 401), ("made-up", "list", 401),
]


@pytest.fixture
def made(ctx: Context) -> dict[str, str]:
    found = {name: tokens.create(ctx, centres, scopes, name, None, "test")[1]
             for name, (centres, scopes) in TOKENS.items()}
    revoked_id, found["revoked"] = tokens.create(ctx, ["*"], ["reports:read"], "lost tablet", None, "test")
    tokens.revoke(ctx, revoked_id, "test")
    expired_id, found["expired"] = tokens.create(ctx, ["*"], ["reports:read"], "old", 1, "test")
    with ctx.sessions.begin() as s:
        from reports.models import ApiToken

        s.execute(update(ApiToken).where(ApiToken.id == expired_id).values(expires_at=utcnow() - timedelta(days=1)))
    found["operator"], found["made-up"] = API_TOKEN, "nts_abcdefgh_" + "x" * 43
    return found


def call(client: FlaskClient, token: str, request: str, cases: dict[str, str]) -> Any:
    auth = {"Authorization": f"Bearer {token}"}
    if request == "list":
        return client.get("/api/reports", headers=auth)
    if request.startswith("read"):
        return client.get(f"/api/reports/{cases[request.split()[1]]}", headers=auth)
    if request == "upload":
        return client.post("/api/reports", json={"device_id": "tablet-1", "reports": [ITEM]}, headers=auth)
    return client.post("/api/broadcasts", json={"center": request.split()[1], "texts": {"th": "ประชุมวันศุกร์"}},
                       headers=auth)


def test_a_broadcast_cannot_claim_who_sent_it(client: FlaskClient) -> None:
    """The audit names the token; a body that claims an actor is refused, naming the field (no silent ignore)."""
    resp = client.post("/api/broadcasts", json={"center": "4803", "texts": {"th": "ประชุมวันศุกร์"},
                                                "created_by": "somebody else"},
                       headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert resp.status_code == 400 and "created_by" in resp.get_json()["error"]


@pytest.mark.parametrize(("token", "request_", "status"), MATRIX, ids=[f"{t}: {r}" for t, r, _ in MATRIX])
def test_the_token_access_matrix(ctx: Context, client: FlaskClient, cases: dict[str, str], made: dict[str, str],
                                 token: str, request_: str, status: int) -> None:
    resp = call(client, made[token], request_, cases)
    assert resp.status_code == status, resp.get_data(as_text=True)
    if request_ == "list" and status == 200:
        assert {r["center_id"] for r in resp.get_json()["reports"]} == {"4803"}
    if status in (200, 202):
        with ctx.sessions() as s:
            actors = {e.actor for e in s.execute(select(AuditEvent).where(
                AuditEvent.event.in_(["read", "listed", "broadcast_created"]))).scalars()}
            collected = s.execute(select(AuditEvent.detail).where(AuditEvent.event == "received")).scalars().all()
        expected = "operator" if token == "operator" else "token:"
        if request_ != "upload":
            assert any(a.startswith(expected) for a in actors) and "somebody else" not in str(actors)
        assert collected  # the cases' reports were received


def test_tokens_are_made_listed_and_revoked_from_the_cli(ctx: Context, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tokens", "create", "--center", "4803", "--scope", "reports:upload", "--name", "Sakda's phone",
                 "--days", "30"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    token = out[-1]
    assert re.fullmatch(r"nts_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}", token)
    grant = tokens.check(ctx, token)
    assert grant is not None and grant.allows("reports:upload", "4803") and not grant.allows("reports:read")
    assert main(["tokens", "list"]) == 0
    listing = capsys.readouterr().out
    assert "Sakda's phone" in listing and token.split("_")[2] not in listing  # the secret is never shown again
    assert main(["tokens", "revoke", grant.id]) == 0
    assert tokens.check(ctx, token) is None
    assert main(["tokens", "create", "--center", "9999", "--scope", "broadcast", "--name", "x"]) == 2
    assert main(["tokens", "create", "--center", "4803", "--scope", "admin", "--name", "x"]) == 2


def test_an_operator_prints_a_members_link(ctx: Context, client: FlaskClient, capsys: pytest.CaptureFixture[str],
                                           cases: dict[str, str]) -> None:
    assert main(["accounts", "login-link", "--center", "4803", "--member", "Secretary Malee"]) == 0
    link = capsys.readouterr().out.strip().splitlines()[-1]
    assert link.startswith("https://gateway.example.org/login/")
    assert client.get(link.removeprefix("https://gateway.example.org"), base_url=BASE).status_code == 303
    assert cases["4803"] in client.get("/center", base_url=BASE).get_data(as_text=True)
    assert main(["accounts", "login-link", "--center", "4803", "--member", "Nobody"]) == 2


def test_a_member_sets_their_pin_in_the_bot_and_then_acts_by_sms(ctx: Context, client: FlaskClient,
                                                                 telegram: FakeTelegram) -> None:
    from flows.engine import Engine
    from gateway.channels.events import Inbound
    from gateway.intake import accept
    from i18n.catalog import text as t

    ticket = stored_report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง").ticket
    for text, n in (("/pin 1234", 31), ("/pin 7305", 32)):  # a run is refused; then a real one
        client.post("/webhooks/telegram", data=json.dumps(updates_for(111, text, n)),
                    headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET},
                    content_type="application/json")
    run_worker(ctx.redis)
    said = [c.params["text"] for c in telegram.sent() if c.params["chat_id"] == "111"]
    assert said == [t("th", "pin_bad"), t("th", "pin_set")]
    from rq.job import Job

    job_ids = [str(keys.text(k)).removeprefix("rq:job:") for k in ctx.redis.keys("rq:job:*")]
    job_data = [repr((j.args, j.kwargs, j.description)) for j in Job.fetch_many(job_ids, connection=ctx.jobs.redis)
                if j is not None]
    assert job_data and all("7305" not in data for data in job_data)  # never in clear in job data

    def sms(text: str) -> str | None:
        from datetime import UTC, datetime

        return accept(ctx, Engine.for_context(ctx), Inbound("twilio", f"SM{text}", "+66811114444", text,
                                                            datetime.now(UTC))).text

    assert sms(f"OK {ticket} 7305") == f"{t('th', 'act_received')} {ticket}: {t('th', 'act_ack')}"


def test_line_members_ask_for_their_link_in_their_words(line_ctx: Context, line_api: Any) -> None:
    import base64
    import hashlib
    import hmac

    from tests.conftest import LINE_MEMBER, LINE_SECRET

    body = json.dumps({"destination": "U" + "0" * 32, "events": [{
        "type": "message", "mode": "active", "timestamp": 1, "webhookEventId": "01LOGIN", "replyToken": "rLOGIN",
        "deliveryContext": {"isRedelivery": False}, "source": {"type": "user", "userId": LINE_MEMBER},
        "message": {"type": "text", "id": "1", "text": "เข้าระบบ"}}]})
    sig = base64.b64encode(hmac.new(LINE_SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
    app = create_app(context=line_ctx).test_client()
    assert app.post("/webhooks/line", data=body, content_type="application/json",
                    headers={"X-Line-Signature": sig}).status_code == 200
    run_worker(line_ctx.redis)
    (reply,) = [r.body["messages"][0]["text"] for r in line_api.received("POST", "/v2/bot/message/reply")]
    link = re.search(r"/login/(\S+)", reply)
    assert link and app.get(f"/login/{link.group(1)}", base_url=BASE).status_code == 303
    assert app.get("/center", base_url=BASE).status_code == 200
