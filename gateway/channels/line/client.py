"""The LINE Messaging API through line-bot-sdk v3, at LINE_API_BASE: pushes, replies, Flex postback buttons
and message content.

Push: https://developers.line.biz/en/reference/messaging-api/#send-push-message — `X-Line-Retry-Key` makes
a retried push idempotent (409 = accepted before), so a worker killed mid-send cannot double a message.
Reply: https://developers.line.biz/en/reference/messaging-api/#send-reply-message — free, single-use, about
a minute. Postback action: https://developers.line.biz/en/reference/messaging-api/#postback-action (data ≤ 300
characters, label ≤ 20).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import requests

from gateway.channels import devsink
from gateway.channels.sending import SendError
from gateway.settings import Settings

if TYPE_CHECKING:
    from linebot.v3.messaging import MessagingApi, TextMessage

MAX_LABEL = 20
MAX_TEXT = 5000
MAX_QUICK_REPLIES = 13
MENU_PREFIX = "o:"

_apis: dict[tuple[str, str], MessagingApi] = {}

# line-bot-sdk's messaging models are imported where a message is built, not at start: they cost about 50 MB
# and 0.6 s, and only the processes that talk to LINE (a worker, mostly) should pay that.


def api(settings: Settings) -> MessagingApi:
    """line-bot-sdk's MessagingApi at LINE_API_BASE (one client per process and credentials)."""
    from linebot.v3.messaging import ApiClient, Configuration, MessagingApi

    key = (settings.line_api_base, settings.line_channel_access_token)
    found = _apis.get(key)
    if found is None:
        config = Configuration(host=settings.line_api_base, access_token=settings.line_channel_access_token)
        found = _apis[key] = MessagingApi(ApiClient(config))
    return found


def retry_key(name: str) -> str:
    """A stable X-Line-Retry-Key (a UUID) for the send called `name`: the same on every retry."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ntswatch:{name}"))


def quick_reply(options: tuple[tuple[str, str], ...]) -> dict[str, Any] | None:
    """Numbered options as quick-reply postback buttons (LINE allows 13)."""
    if not options:
        return None
    items = [{"type": "action", "action": {"type": "postback", "label": f"{n} {label}"[:MAX_LABEL],
                                            "data": f"{MENU_PREFIX}{n}", "displayText": f"{n} {label}"}}
             for n, label in options[:MAX_QUICK_REPLIES]]
    return {"items": items}


def text_message(text: str, options: tuple[tuple[str, str], ...] = ()) -> TextMessage:
    """A text message, its menu as quick replies."""
    from linebot.v3.messaging import QuickReply, TextMessage

    markup = quick_reply(options)
    return TextMessage(text=text[:MAX_TEXT], quickReply=QuickReply.from_dict(markup) if markup else None)


def buttons_bubble(title: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    """A Flex bubble with one postback button per (label, data), labels cut to LINE's 20 characters."""
    return {"type": "bubble", "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
        {"type": "text", "text": title, "weight": "bold", "wrap": True},
        *({"type": "button", "style": "secondary", "height": "sm",
           "action": {"type": "postback", "label": label[:MAX_LABEL], "data": data}} for label, data in buttons)]}}


def _first_id(response: Any, default: str) -> str:
    sent = getattr(response, "sent_messages", None) or []
    return str(getattr(sent[0], "id", default)) if sent else default


def push(settings: Settings, to: str, messages: list[Any], key: str) -> str:
    """Push `messages` to a user, group or room with retry key `key`; LINE's id of the first message."""
    from linebot.v3.messaging import PushMessageRequest
    from linebot.v3.messaging.exceptions import ApiException

    if not settings.line_channel_access_token:
        texts = " / ".join(str(getattr(m, "text", None) or getattr(m, "alt_text", "")) for m in messages)
        return devsink.keep(settings, "line", to, texts)
    try:
        response = api(settings).push_message(PushMessageRequest(to=to, messages=messages),
                                              x_line_retry_key=str(uuid.UUID(key)))
    except ApiException as exc:
        if exc.status == 409:  # this retry key was accepted before: the message is already there
            return "line-accepted-earlier"
        if exc.status == 429 or exc.status >= 500:
            raise SendError(f"line push {exc.status}") from None
        raise SendError(f"line push refused {exc.status}", permanent=True) from None
    except (OSError, TimeoutError) as exc:
        raise SendError(f"line unreachable: {type(exc).__name__}") from None
    return _first_id(response, "line")


def reply(settings: Settings, reply_token: str, messages: list[Any]) -> str:
    """Answer an event with its reply token (free; valid about a minute); LINE's id of the first message
    (a member quoting it is answering it: `quotedMessageId`). SendError(permanent) when the token is spent."""
    from linebot.v3.messaging import ReplyMessageRequest
    from linebot.v3.messaging.exceptions import ApiException

    if not settings.line_channel_access_token:
        texts = " / ".join(getattr(m, "text", "") for m in messages)
        return devsink.keep(settings, "line", f"reply:{reply_token[:8]}", texts)
    try:
        response = api(settings).reply_message(ReplyMessageRequest(replyToken=reply_token, messages=messages))
    except ApiException as exc:
        raise SendError(f"line reply {exc.status}", permanent=exc.status == 400) from None
    except (OSError, TimeoutError) as exc:
        raise SendError(f"line unreachable: {type(exc).__name__}") from None
    return _first_id(response, "")


def reply_text(settings: Settings, reply_token: str, text: str) -> str:
    """A plain text answer with a reply token."""
    return reply(settings, reply_token, [text_message(text)])


def send_alert(settings: Settings, to: str, text: str, buttons: list[tuple[str, str]], key: str) -> str:
    """Push an alert and its buttons (a Flex bubble of signed postbacks) to a group; LINE's message id."""
    from linebot.v3.messaging import FlexContainer, FlexMessage

    messages: list[Any] = [text_message(text)]
    if buttons:
        title = text.split("\n", 1)[0][:100]
        messages.append(FlexMessage(altText=title, contents=FlexContainer.from_dict(buttons_bubble(title, buttons))))
    return push(settings, to, messages, key)


def download(settings: Settings, message_id: str, limit: int) -> bytes:
    """A photo or recording a user sent (https://developers.line.biz/en/reference/messaging-api/#get-content)."""
    base = settings.line_api_base.replace("://api.", "://api-data.") if "api.line.me" in settings.line_api_base \
        else settings.line_api_base
    try:
        with requests.get(f"{base}/v2/bot/message/{message_id}/content", timeout=20, stream=True,
                          headers={"Authorization": f"Bearer {settings.line_channel_access_token}"}) as resp:
            if resp.status_code != 200:
                raise SendError(f"line content answered {resp.status_code}")
            data = b""
            for chunk in resp.iter_content(64 * 1024):
                data += chunk
                if len(data) > limit:
                    raise SendError("line content larger than the limit", permanent=True)
            return data
    except requests.RequestException as exc:
        raise SendError(f"line content unreachable: {type(exc).__name__}") from None
