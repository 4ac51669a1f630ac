"""Joining a centre with a one-time invite code: made by the CLI or by the head through the bot, redeemed
with JOIN on Telegram or LINE; the new member's alert buttons then work; bad codes and strangers are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from centres.members import create_invite, member_of
from gateway.app import create_app
from gateway.cli import main
from i18n.catalog import text as t
from reports.centres_file import Center, Member
from reports.context import Context
from reports.models import Invite
from tests.conftest import LINE_SECRET, TELEGRAM_WEBHOOK_SECRET
from tests.fakes.http_api import FakeAPI
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker

NEW_MEMBER = 777000111
HEAD = 111  # "Nai Amphoe", head of Tha Uthen in tests/fixtures/centers.yaml


def find_member(ctx: Context, center: Center, surface: str, account: object) -> Member | None:
    """The member with this account, as the gateway finds them (centres file, then invites)."""
    with ctx.sessions() as session:
        return member_of(session, center, surface, str(account))


@pytest.fixture
def client(ctx: Context) -> FlaskClient:
    from reports.db import upgrade

    upgrade(ctx.engine)
    return create_app(context=ctx).test_client()


def tg(client: FlaskClient, user: int, text: str, update_id: int) -> int:
    update = {"update_id": update_id, "message": {"message_id": update_id, "date": int(time.time()), "text": text,
                                                  "from": {"id": user, "is_bot": False, "first_name": "K"},
                                                  "chat": {"id": user, "type": "private"}}}
    return client.post("/webhooks/telegram", json=update,
                       headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET}).status_code


def said_to(telegram: FakeTelegram, user: int) -> list[str]:
    return [c.params["text"] for c in telegram.sent() if c.params["chat_id"] == str(user)]


def test_cli_invite_then_join_on_telegram_makes_a_member(client: FlaskClient, ctx: Context, telegram: FakeTelegram,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    center = ctx.centers.by_id["4803"]
    assert find_member(ctx, center, "telegram", NEW_MEMBER) is None
    assert main(["centers", "invite", "--center", "4803", "--role", "coordinator", "--name", "Khun Daeng"]) == 0
    code = capsys.readouterr().out.split()[0]
    assert len(code) == 9 and code[4] == "-"
    assert tg(client, NEW_MEMBER, f"JOIN {code.lower()}", 5001) == 200
    assert tg(client, NEW_MEMBER, f"JOIN {code.lower()}", 5001) == 200  # Telegram redelivered the update
    run_worker(ctx.redis)
    assert said_to(telegram, NEW_MEMBER) == [t("th", "join_ok", name="Khun Daeng", role=t("th", "role_coordinator"),
                                               center=center.name)]
    member = find_member(ctx, center, "telegram", NEW_MEMBER)
    assert member is not None and member.role == "coordinator"
    assert tg(client, 777000222, f"JOIN {code}", 5002) == 200  # the code works once
    run_worker(ctx.redis)
    assert said_to(telegram, 777000222) == [t("th", "join_failed")]
    assert find_member(ctx, center, "telegram", 777000222) is None


def test_the_head_invites_from_the_bot_and_a_stranger_cannot(client: FlaskClient, ctx: Context,
                                                             telegram: FakeTelegram) -> None:
    tg(client, HEAD, "/invite police Sergeant Somchai", 6001)
    tg(client, 777000333, "/invite police Somebody", 6002)
    tg(client, HEAD, "/invite chef Somebody", 6003)
    run_worker(ctx.redis)
    made, bad_role = said_to(telegram, HEAD)
    assert made.startswith("รหัสเชิญสำหรับ Sergeant Somchai (ตำรวจ): ") and bad_role == t("th", "invite_bad_role")
    assert said_to(telegram, 777000333) == [t("th", "invite_refused")]
    code = made.split(": ", 1)[1].split()[0]
    tg(client, 777000444, f"/join {code}", 6004)
    run_worker(ctx.redis)
    assert find_member(ctx, ctx.centers.by_id["4803"], "telegram", 777000444) is not None


def test_an_expired_code_is_refused(client: FlaskClient, ctx: Context, telegram: FakeTelegram) -> None:
    with ctx.sessions.begin() as s:
        code = create_invite(s, ctx.settings.secret_key, ctx.centers.by_id["4803"], "police", "Late", "test")
    with ctx.sessions.begin() as s:
        for invite in s.query(Invite):
            invite.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    tg(client, 777000555, f"JOIN {code}", 7001)
    run_worker(ctx.redis)
    assert said_to(telegram, 777000555) == [t("th", "join_failed")]


def test_join_on_line(client: FlaskClient, ctx: Context, line_api: FakeAPI) -> None:
    with ctx.sessions.begin() as s:
        code = create_invite(s, ctx.settings.secret_key, ctx.centers.by_id["4801"], "coordinator", "Khamla", "test")
    user = "U" + "c" * 32
    body = json.dumps({"destination": "U" + "0" * 32, "events": [{
        "type": "message", "mode": "active", "timestamp": 1, "webhookEventId": "01JOIN", "replyToken": "rJOIN",
        "deliveryContext": {"isRedelivery": False}, "source": {"type": "user", "userId": user},
        "message": {"type": "text", "id": "1", "text": f"join {code}"}}]})
    sig = base64.b64encode(hmac.new(LINE_SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
    assert client.post("/webhooks/line", data=body, content_type="application/json",
                       headers={"X-Line-Signature": sig}).status_code == 200
    run_worker(ctx.redis)
    replies: list[Any] = [r.body["messages"][0]["text"] for r in line_api.received("POST", "/v2/bot/message/reply")]
    assert replies == [t("lo", "join_ok", name="Khamla", role=t("lo", "role_coordinator"),
                         center=ctx.centers.by_id["4801"].name)]
    assert find_member(ctx, ctx.centers.by_id["4801"], "line", user) is not None


def test_a_member_who_joined_reads_broadcasts_in_their_apps_language(client: FlaskClient, ctx: Context,
                                                                      telegram: FakeTelegram,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from centres import broadcasts

    assert main(["centers", "invite", "--center", "4803", "--role", "coordinator", "--name", "Thongdy"]) == 0
    code = capsys.readouterr().out.split()[0]
    update = {"update_id": 5101, "message": {"message_id": 1, "date": int(time.time()), "text": f"JOIN {code}",
                                             "from": {"id": NEW_MEMBER, "is_bot": False, "first_name": "T",
                                                      "language_code": "lo"},
                                             "chat": {"id": NEW_MEMBER, "type": "private"}}}
    assert client.post("/webhooks/telegram", json=update,
                       headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET}).status_code == 200
    run_worker(ctx.redis)
    member = find_member(ctx, ctx.centers.by_id["4803"], "telegram", NEW_MEMBER)
    assert member is not None and member.language == "lo"
    broadcasts.create(ctx, ctx.centers.by_id["4803"], {"th": "ประชุมวันศุกร์", "lo": "ປະຊຸມວັນສຸກ"}, "members", "cli")
    run_worker(ctx.redis)
    assert said_to(telegram, NEW_MEMBER)[-1] == "📢 ປະຊຸມວັນສຸກ"
    assert said_to(telegram, HEAD)[-1] == "📢 ประชุมวันศุกร์"  # the centres file's head: the centre's language


def test_invite_codes_are_kept_as_keyed_hashes(ctx: Context) -> None:
    with ctx.sessions.begin() as s:
        code = create_invite(s, ctx.settings.secret_key, ctx.centers.by_id["4803"], "police", "Keyed", "test")
    with ctx.sessions() as s:
        stored = s.query(Invite).one().code_hash
    assert stored != hashlib.sha256(code.replace("-", "").encode()).hexdigest()  # not guessable without the key


def test_guessing_codes_is_cut_off_per_account(client: FlaskClient, ctx: Context, telegram: FakeTelegram) -> None:
    with ctx.sessions.begin() as s:
        code = create_invite(s, ctx.settings.secret_key, ctx.centers.by_id["4803"], "police", "Guess", "test")
    for n in range(5):
        tg(client, 777000666, f"JOIN ABCD-EF{n}{n}", 7100 + n)
    tg(client, 777000666, f"JOIN {code}", 7200)  # the right code, after five wrong ones: refused for an hour
    tg(client, 777000777, f"JOIN {code}", 7201)  # another account is not held back
    run_worker(ctx.redis)
    assert said_to(telegram, 777000666) == [t("th", "join_failed")] * 6
    assert said_to(telegram, 777000777)[0].startswith(t("th", "join_ok", name="Guess", role="x", center="y")[:5])
