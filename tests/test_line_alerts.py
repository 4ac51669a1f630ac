"""Alerts to a centre's LINE group: pushed once with an idempotent retry key and signed postback buttons;
a member's postback acknowledges, assigns and closes, answered in the group; a stranger's is refused and
audited."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.app import create_app
from i18n.catalog import text as t
from reports.context import Context
from reports.enums import DeliveryStatus
from reports.models import AuditEvent, Delivery, Report
from tests.conftest import LINE_GROUP, LINE_MEMBER, LINE_SECRET
from tests.fakes.http_api import FakeAPI
from tests.helpers import run_worker, stored_report
from workers import jobs

GROUP, MEMBER = LINE_GROUP, LINE_MEMBER


def report(ctx: Context) -> Report:
    return stored_report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")


def pushes(line_api: FakeAPI) -> list[Any]:
    return [r for r in line_api.received("POST", "/v2/bot/message/push") if r.body["to"] == GROUP]


def postback(client: FlaskClient, data: str, user: str, event_id: str) -> int:
    body = json.dumps({"destination": "U" + "0" * 32, "events": [{
        "type": "postback", "mode": "active", "timestamp": int(time.time() * 1000), "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False}, "replyToken": "r" + event_id,
        "source": {"type": "group", "groupId": GROUP, "userId": user}, "postback": {"data": data}}]})
    sig = base64.b64encode(hmac.new(LINE_SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
    return client.post("/webhooks/line", data=body, content_type="application/json",
                       headers={"X-Line-Signature": sig}).status_code


def buttons_of(push: Any) -> dict[str, str]:
    bubble = push.body["messages"][1]["contents"]
    return {c["action"]["label"]: c["action"]["data"] for c in bubble["body"]["contents"] if c["type"] == "button"}


def test_the_alert_is_pushed_once_with_buttons_and_a_stable_retry_key(line_ctx: Context, line_api: FakeAPI) -> None:
    found = report(line_ctx)
    (push,) = pushes(line_api)
    assert found.ticket in push.body["messages"][0]["text"] and "ยาเสพติด" in push.body["messages"][0]["text"]
    labels = buttons_of(push)
    assert list(labels)[:3] == ["รับทราบ", "ถามผู้แจ้ง", "ตำรวจ"] and all(len(label) <= 20 for label in labels)
    assert all(len(data) <= 300 for data in labels.values())
    with line_ctx.sessions.begin() as s:
        row = s.execute(select(Delivery).where(Delivery.channel == "line")).scalar_one()
        row.status = DeliveryStatus.PENDING  # as if the worker died before recording the send
        delivery_id = row.id
    line_api.route("POST", "/v2/bot/message/push", lambda req: (409, {"message": "already accepted"}))
    assert jobs.notify(delivery_id) == "sent"
    retry_keys = {r.headers["x-line-retry-key"] for r in line_api.requests if r.path.endswith("/push")
                  and r.body["to"] == GROUP}
    assert len(retry_keys) == 1  # LINE dedups the second push on this key: the group sees one alert


def test_a_member_acts_by_postback_and_the_group_sees_who(line_ctx: Context, line_api: FakeAPI) -> None:
    found = report(line_ctx)
    labels = buttons_of(pushes(line_api)[0])
    client = create_app(context=line_ctx).test_client()
    for n, label in enumerate(["รับทราบ", "ตำรวจ", "ปิด: ดำเนินการแล้ว"]):
        assert postback(client, labels[label], MEMBER, f"ev{n}") == 200
        assert postback(client, labels[label], MEMBER, f"ev{n}") == 200  # a redelivered event: applied once
        run_worker(line_ctx.redis)
    replies = [r.body["messages"][0]["text"] for r in line_api.received("POST", "/v2/bot/message/reply")]
    assert len(replies) == 3 and all(f"#{found.ticket}" in r and "Khun Daeng" in r for r in replies)
    with line_ctx.sessions() as s:
        assert s.get(Report, found.id).status == "closed"  # type: ignore[union-attr]
        events = [e.event for e in s.execute(select(AuditEvent).where(AuditEvent.report_id == found.id)).scalars()]
    assert [e for e in events if e in ("acknowledged", "assigned", "closed")] == ["acknowledged", "assigned", "closed"]


@pytest.mark.parametrize("user, forge, label", [("U" + "b" * 32, False, "รับทราบ"), (MEMBER, True, "รับทราบ"),
                                               ("U" + "b" * 32, False, "ถามผู้แจ้ง")])
def test_a_stranger_or_a_forged_button_is_refused_and_audited(line_ctx: Context, line_api: FakeAPI, user: str,
                                                              forge: bool, label: str) -> None:
    found = report(line_ctx)
    data = buttons_of(pushes(line_api)[0])[label]
    if forge:
        data = data.replace(":4803:", ":2706:")
    client = create_app(context=line_ctx).test_client()
    assert postback(client, data, user, "evX") == 200
    run_worker(line_ctx.redis)
    with line_ctx.sessions() as s:
        assert s.get(Report, found.id).status == "new"  # type: ignore[union-attr]
        refused = s.execute(select(AuditEvent).where(AuditEvent.event == "refused")).scalars().all()
    assert len(refused) == 1 and refused[0].actor.startswith("line:user:")
    (answer,) = [r.body["messages"][0]["text"] for r in line_api.received("POST", "/v2/bot/message/reply")]
    assert answer == t("th", "act_not_member")
    assert not line_ctx.redis.keys("nts:asking:*")  # no question window opened for a stranger
