"""/simulator over HTTP: members only, each line through the gateway's own signed webhook, the answer as a phone
shows it (SMS parts, USSD screens), Telegram and LINE answers sent through their APIs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from centres import logins
from centres.access import member_principal
from gateway.app import create_app
from reports.context import Context
from tests.fakes.http_api import FakeAPI
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker


@pytest.fixture
def member(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as client:
        principal = member_principal(ctx, "4803", "Secretary Malee")
        assert principal is not None
        code = logins.make_login_code(ctx, principal)
        assert client.get(f"/login/{code}").status_code in (302, 303)
        yield client


def csrf(client: FlaskClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/simulator").get_data(as_text=True))
    assert found
    return found.group(1)


def say(client: FlaskClient, channel: str, lang: str, *lines: str) -> str:
    token = csrf(client)
    client.post("/simulator/reset", data={"csrf_token": token, "channel": channel, "lang": lang})
    for line in lines:
        client.post("/simulator/send", data={"csrf_token": token, "text": line})
    return client.get("/simulator").get_data(as_text=True)


def test_only_members_and_only_with_the_form_token(ctx: Context, member: FlaskClient) -> None:
    with create_app(context=ctx).test_client() as stranger:
        assert stranger.get("/simulator").status_code == 401
        assert stranger.post("/simulator/send", data={"text": "x"}).status_code == 401
    assert member.post("/simulator/send", data={"text": "x", "csrf_token": "wrong"}).status_code == 400


def test_sms_reply_with_its_part_count(member: FlaskClient) -> None:
    page = say(member, "sms", "th", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนกล่องขึ้นฝั่ง")
    assert "1 SMS part(s)" in page or "2 SMS part(s)" in page
    assert re.search(r"\b\d{7}\b", page)  # the ticket in the receipt


def test_telegram_answers_go_through_the_bot_api(ctx: Context, member: FlaskClient, telegram: FakeTelegram) -> None:
    say(member, "telegram", "km", "សួស្តី")
    run_worker(ctx.redis)  # chat answers go after the webhook's 200, as jobs
    assert any(c.method == "sendMessage" and int(c.params["chat_id"]) >= 700_000_000 for c in telegram.sent())


def test_line_answers_go_through_the_messaging_api(ctx: Context, member: FlaskClient, line_api: FakeAPI) -> None:
    say(member, "line", "lo", "ສະບາຍດີ")
    run_worker(ctx.redis)
    assert line_api.requests, "the LINE reply was not sent"
