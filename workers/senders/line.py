"""Alerts to a centre's LINE group through line-bot-sdk, at LINE_API_BASE: the alert text, then a Flex
bubble of postback buttons (acknowledge, assign, close) carrying signed data.

Push: https://developers.line.biz/en/reference/messaging-api/#send-push-message — `X-Line-Retry-Key` makes
a retried push idempotent (409 = accepted before), so a worker killed mid-send cannot double the alert.
Postback action: https://developers.line.biz/en/reference/messaging-api/#postback-action (data ≤ 300 chars,
label ≤ 20 characters).
"""

from __future__ import annotations

import uuid
from typing import Any

from gateway.settings import Settings
from workers.senders import NotConfigured, SendError

MAX_LABEL = 20


def api(settings: Settings) -> Any:
    """line-bot-sdk's MessagingApi at LINE_API_BASE (also used for replies to reporters)."""
    from linebot.v3.messaging import ApiClient, Configuration, MessagingApi

    if not settings.line_channel_access_token:
        raise NotConfigured("LINE_CHANNEL_ACCESS_TOKEN is not set")
    config = Configuration(host=settings.line_api_base, access_token=settings.line_channel_access_token)
    return MessagingApi(ApiClient(config))


def buttons_bubble(title: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    """A Flex bubble with one postback button per (label, data), labels cut to LINE's 20 characters."""
    return {"type": "bubble", "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
        {"type": "text", "text": title, "weight": "bold", "wrap": True},
        *({"type": "button", "style": "secondary", "height": "sm",
           "action": {"type": "postback", "label": label[:MAX_LABEL], "data": data}} for label, data in buttons)]}}


def send_alert(settings: Settings, to: str, text: str, buttons: list[tuple[str, str]], retry_key: str) -> str:
    """Push the alert and its buttons to a group, room or user; return LINE's message id."""
    from linebot.v3.messaging import FlexContainer, FlexMessage, PushMessageRequest, TextMessage
    from linebot.v3.messaging.exceptions import ApiException

    messages: list[Any] = [TextMessage(text=text[:5000])]
    if buttons:
        title = text.split("\n", 1)[0][:100]
        messages.append(FlexMessage(altText=title, contents=FlexContainer.from_dict(buttons_bubble(title, buttons))))
    try:
        response = api(settings).push_message(PushMessageRequest(to=to, messages=messages),
                                               x_line_retry_key=str(uuid.UUID(retry_key)))
    except ApiException as exc:
        if exc.status == 409:  # this retry key was accepted before: the alert is already there
            return "line-accepted-earlier"
        if exc.status == 429 or exc.status >= 500:
            raise SendError(f"line push {exc.status}") from exc
        raise SendError(f"line push refused {exc.status}", permanent=True) from exc
    except (OSError, TimeoutError) as exc:
        raise SendError(f"line unreachable: {type(exc).__name__}") from exc
    sent = getattr(response, "sent_messages", None) or []
    return str(getattr(sent[0], "id", "line")) if sent else "line"


def reply(settings: Settings, reply_token: str, text: str) -> str:
    """Answer in the group with the event's reply token (free; valid about a minute); return LINE's message id
    (a member quoting it is answering it: `quotedMessageId`)."""
    from linebot.v3.messaging import ReplyMessageRequest, TextMessage
    from linebot.v3.messaging.exceptions import ApiException

    try:
        response = api(settings).reply_message(ReplyMessageRequest(replyToken=reply_token,
                                                                   messages=[TextMessage(text=text)]))
    except ApiException as exc:
        raise SendError(f"line reply {exc.status}", permanent=exc.status == 400) from exc
    sent = getattr(response, "sent_messages", None) or []
    return str(getattr(sent[0], "id", "")) if sent else ""
