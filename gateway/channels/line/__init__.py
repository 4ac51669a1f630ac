"""LINE Messaging API webhook: `POST /webhooks/line`, events in `{destination, events: [...]}`
(https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects), signed with
`X-Line-Signature` = base64(HMAC-SHA256(channel secret, raw body)), checked with line-bot-sdk's validator.

Reports come from 1:1 chats with the official account; group and room ids are where centres sit, so their
messages are not reports. `webhookEventId` is the dedup key (a redelivery, `deliveryContext.isRedelivery`,
carries the same id). The answer must come within 2 s, so replies are jobs: the single-use reply token
first, then a push with `X-Line-Retry-Key` if the token has expired. Menus become quick replies (≤ 13).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from linebot.v3 import SignatureValidator

from flows import keys
from flows.inbound import Inbound
from gateway.channels.base import Adapter, BadRequest, Forbidden, NotConfigured, Parsed, WebRequest, WebResponse
from gateway.intake import Accepted
from reports.identity import encrypt_contact
from reports.membership import JOIN_COMMAND
from workers import actions, relay
from workers.broadcasts import BROADCAST_COMMAND
from workers.context import Context
from workers.queue import get_queue

CHANNEL = "line"
CALLBACK_PREFIX = "o:"
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20  # LINE action labels: 20 characters


def verify(ctx: Context, req: WebRequest) -> dict[str, Any]:
    """Signature over the raw body, then the JSON."""
    secret = ctx.settings.line_channel_secret
    if not secret:
        raise NotConfigured("LINE_CHANNEL_SECRET is not set on this gateway")
    try:
        body = req.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not UTF-8") from exc
    if not SignatureValidator(secret).validate(body, req.header("X-Line-Signature") or ""):
        raise Forbidden("X-Line-Signature does not match")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadRequest("body is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise BadRequest("expected {destination, events: [...]}")
    return data


def _inbound(event: dict[str, Any]) -> Inbound | None:
    source = event.get("source") or {}
    if source.get("type") != "user" or not source.get("userId"):
        return None  # groups and rooms: centres, not reporters
    event_id = event.get("webhookEventId") or hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
    address = f"line:{source['userId']}"
    received = datetime.now(UTC)
    kind = event.get("type")
    if kind == "postback":
        data = str((event.get("postback") or {}).get("data") or "")
        if not data.startswith(CALLBACK_PREFIX):
            return None
        return Inbound(CHANNEL, event_id, address, data[len(CALLBACK_PREFIX):], received)
    if kind == "follow":
        return Inbound(CHANNEL, event_id, address, "", received)  # a new friend gets the first question
    if kind != "message":
        return None
    message = event.get("message") or {}
    mtype = message.get("type")
    if mtype == "text":
        return Inbound(CHANNEL, event_id, address, str(message.get("text") or ""), received)
    if mtype == "location":
        try:
            loc = (float(message["latitude"]), float(message["longitude"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRequest("location message without coordinates") from exc
        return Inbound(CHANNEL, event_id, address, "", received, location=loc)
    if mtype in ("image", "audio"):
        media = {"kind": "photo" if mtype == "image" else "voice", "provider": CHANNEL,
                 "message_id": str(message.get("id")), "size": None}
        return Inbound(CHANNEL, event_id, address, "", received, media=(media,))
    return None  # stickers, video, files: not part of a report


def _group_of(event: dict[str, Any]) -> str:
    source = event.get("source") or {}
    return str(source.get("groupId") or source.get("roomId") or "")


def group_question(ctx: Context, event: dict[str, Any]) -> bool:
    """A member's text in a centre's group after they pressed "ask the reporter", or quoting its prompt:
    relayed by a job. Other group messages are the group's own conversation and are left alone (one Redis
    read; one more for a quote)."""
    source, message = event.get("source") or {}, event.get("message") or {}
    group, user_id = _group_of(event), str(source.get("userId") or "")
    text = str(message.get("text") or "").strip() if message.get("type") == "text" else ""
    if event.get("type") != "message" or not group or not user_id or not text:
        return False
    pending = relay.take_question(ctx, CHANNEL, group, user_id)
    event_id = str(event.get("webhookEventId") or hashlib.sha256(text.encode()).hexdigest())
    quoted = message.get("quotedMessageId")
    if pending is None and quoted:  # quoting the "ask" prompt: a question even after the window
        prompt = relay.prompt_answered(ctx, group, str(quoted))
        center = ctx.centers.by_id.get(prompt["center"]) if prompt else None
        if prompt is None or center is None:
            return False
        if not ctx.redis.set(keys.dedup("line-ask", event_id), 1, nx=True, ex=ctx.settings.dedup_ttl_s):
            return True  # a redelivered event: asked the first time
        member = actions.member_by_line(center, user_id)
        if member is None:
            get_queue(ctx.redis).enqueue_call("workers.actions.refuse", args=(
                prompt["ticket"], center.id, "line", f"user:{user_id[:12]}", str(event.get("replyToken") or "")))
            return True
        pending = {**prompt, "member": {"name": member.name, "role": member.role}}
    if pending is None:
        return False
    get_queue(ctx.redis).enqueue_call("workers.relay.ask_from_group", args=(pending, text[:1000], {
        "kind": CHANNEL, "to": group, "reply_token": str(event.get("replyToken") or "")}),
        job_id=f"line-ask-{hashlib.sha256(event_id.encode()).hexdigest()[:32]}")
    return True


def alert_postback(ctx: Context, event: dict[str, Any]) -> None:
    """A button under a LINE alert: checked (signature, membership by LINE user id), applied by a job."""
    data = str((event.get("postback") or {}).get("data") or "")
    user_id = str((event.get("source") or {}).get("userId") or "")
    reply_token = str(event.get("replyToken") or "")
    event_id = str(event.get("webhookEventId") or hashlib.sha256(json.dumps(event, sort_keys=True).encode())
                   .hexdigest())
    if not ctx.redis.set(keys.dedup("line-postback", event_id), 1, nx=True, ex=ctx.settings.dedup_ttl_s):
        return  # a redelivered postback: applied the first time
    decoded = actions.verify(ctx.settings.secret_key, data)
    queue = get_queue(ctx.redis)
    if decoded is None:
        queue.enqueue_call("workers.actions.refuse", args=("", "", "line", f"user:{user_id[:12]}", reply_token))
        return
    action, ticket, center_id = decoded
    center = ctx.centers.by_id.get(center_id)
    member = actions.member_by_line(center, user_id) if center and user_id else None
    if member is None:
        queue.enqueue_call("workers.actions.refuse", args=(ticket, center_id, "line", f"user:{user_id[:12]}",
                                                            reply_token))
        return
    if action == actions.ASK:  # the member's next message in this group is the question (workers/relay.py)
        relay.open_question(ctx, CHANNEL, _group_of(event), user_id, ticket, center_id,
                            {"name": member.name, "role": member.role})
        queue.enqueue_call("workers.relay.prompt", args=(
            CHANNEL, {"reply_token": reply_token, "group": _group_of(event)}, ticket, center_id,
            {"name": member.name, "role": member.role}))
        return
    queue.enqueue_call("workers.actions.apply_line_action",
                       args=(ticket, action, center_id, {"name": member.name, "role": member.role}, reply_token),
                       job_id=f"line-act-{hashlib.sha256(event_id.encode()).hexdigest()[:32]}")


def parse(ctx: Context, req: WebRequest, data: dict[str, Any]) -> Parsed:
    """Every reporter event of the request; an empty event list (LINE's URL check) answers 200."""
    messages: list[Inbound] = []
    tokens: dict[str, str] = {}
    for event in data["events"]:
        if not isinstance(event, dict):
            raise BadRequest("events must be objects")
        if event.get("type") == "postback" and \
                str((event.get("postback") or {}).get("data") or "").startswith(actions.PREFIX):
            alert_postback(ctx, event)
            continue
        if group_question(ctx, event):
            continue
        msg = _inbound(event)
        if msg is None:
            continue
        join = JOIN_COMMAND.match(msg.text.strip())
        broadcast = BROADCAST_COMMAND.match(msg.text.strip())
        if join is not None or broadcast is not None:  # a member's command, not a report (once per event)
            if ctx.redis.set(keys.dedup("line-member", msg.provider_id), 1, nx=True, ex=ctx.settings.dedup_ttl_s):
                token = str(event.get("replyToken") or "")
                if join is not None:  # a new member binding their LINE account (reports/membership.py)
                    get_queue(ctx.redis).enqueue_call("workers.joining.join", args=(
                        join.group(1), CHANNEL, msg.address[5:], token))
                elif broadcast is not None:  # a head or secretary's awareness message (workers/broadcasts.py)
                    get_queue(ctx.redis).enqueue_call("workers.broadcasts.from_bot", args=(
                        CHANNEL, msg.address[5:], token, (broadcast.group(1) or "").strip()[:1000]))
            continue
        messages.append(msg)
        if event.get("replyToken"):
            tokens[msg.provider_id] = str(event["replyToken"])
    return Parsed(messages, response=WebResponse("", 200), extra={"reply_tokens": tokens})


def render(ctx: Context, parsed: Parsed, results: list[Accepted]) -> WebResponse:
    """Queue each reply (reply token first, push as fallback) and answer 200 at once."""
    queue = get_queue(ctx.redis)
    for msg, result in zip(parsed.messages, results, strict=True):
        if not result.reply or result.duplicate:
            continue
        options = [list(o) for o in result.reply_info.options] if result.reply_info else []
        queue.enqueue_call("gateway.channels.line.send_reply_job",
                           args=(parsed.extra["reply_tokens"].get(msg.provider_id),
                                 encrypt_contact(ctx.settings.secret_key, msg.address), result.reply, options,
                                 msg.provider_id),
                           job_id=f"line-{hashlib.sha256(msg.provider_id.encode()).hexdigest()[:32]}")
    return WebResponse("", 200)


def quick_reply(options: list[list[str]]) -> dict[str, Any] | None:
    """Numbered options as quick-reply postback buttons (LINE allows 13)."""
    if not options:
        return None
    items = [{"type": "action", "action": {"type": "postback", "label": f"{n} {label}"[:MAX_LABEL],
                                            "data": f"{CALLBACK_PREFIX}{n}", "displayText": f"{n} {label}"}}
             for n, label in options[:MAX_QUICK_REPLIES]]
    return {"items": items}


def _message(text: str, options: list[list[str]]) -> Any:
    from linebot.v3.messaging import QuickReply, TextMessage

    markup = quick_reply(options)
    return TextMessage(text=text[:5000], quickReply=QuickReply.from_dict(markup) if markup else None)


def _api(ctx: Context) -> Any:
    from workers.senders import line

    return line.api(ctx.settings)


def send(ctx: Context, address: str, text: str, options: list[list[str]] | None = None,
         retry_key: str | None = None) -> str:
    """Push a message to a reporter (costs quota: used when no reply token is valid)."""
    from linebot.v3.messaging import PushMessageRequest
    from linebot.v3.messaging.exceptions import ApiException

    from workers.senders import SendError

    if not address.startswith("line:"):
        raise BadRequest("not a LINE address")
    request = PushMessageRequest(to=address[5:], messages=[_message(text, options or [])])
    try:
        _api(ctx).push_message(request, x_line_retry_key=retry_key or str(uuid.uuid4()))
    except ApiException as exc:
        if exc.status == 409:  # the same retry key was accepted before: already sent
            return "push-accepted-earlier"
        raise SendError(f"line push {exc.status}", permanent=exc.status in (400, 403)) from exc
    return "push"


def send_reply_job(reply_token: str | None, contact_token: str, text: str, options: list[list[str]],
                   event_id: str) -> str:
    """RQ job: reply with the token while it is valid, else push with a retry key derived from the event."""
    from linebot.v3.messaging import ReplyMessageRequest
    from linebot.v3.messaging.exceptions import ApiException

    from reports.identity import decrypt_contact
    from workers.context import get_context

    ctx = get_context()
    if reply_token:
        try:
            _api(ctx).reply_message(ReplyMessageRequest(replyToken=reply_token, messages=[_message(text, options)]))
            return "reply"
        except ApiException as exc:
            if exc.status != 400:  # 400: the token expired or was used; anything else is worth a retry
                raise
    retry_key = str(uuid.UUID(hashlib.sha256(event_id.encode()).hexdigest()[:32]))
    return send(ctx, decrypt_contact(ctx.settings.secret_key, contact_token), text, options, retry_key=retry_key)


ADAPTER = Adapter(name=CHANNEL, path="/webhooks/line", verify=verify, parse=parse, render=render, send=send)
