"""The Telegram Bot API client of the web gateway, the workers and the polling bot: plain HTTPS calls.

Why not aiogram's `Bot`: the gateway calls seven methods of a JSON API, and aiogram's types cost every process
that imports them 6.4 s of start-up and 155 MB of memory (measured on a 2-core box: a third of the whole
stack's budget, each), and its `Bot` is asyncio-only while the RQ workers are synchronous. One small client
serves every process the same way; the requests go out form-encoded as aiogram sends them (nested values
as JSON), and the errors carry what the Bot API says (`retry_after` of a 429).

Bot API: https://core.telegram.org/bots/api#making-requests — every URL carries the bot token, so no URL is
ever put in an exception or a log line here (and `RedactBotTokens` scrubs the HTTP library's own logs).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

import requests

from gateway.channels import devsink
from gateway.channels.sending import SendError
from gateway.settings import Settings

log = logging.getLogger("ntswatch.telegram")
MAX_TEXT = 4096  # https://core.telegram.org/bots/api#sendmessage
_TOKEN_IN_URL = re.compile(r"/(file/)?bot[0-9]+:[A-Za-z0-9_-]+")
_http = threading.local()


class RedactBotTokens(logging.Filter):
    """Removes bot tokens from log lines: the Bot API puts the token in every URL, and HTTP libraries log URLs
    (urllib3 at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with every `/bot<token>` replaced; always keep the record."""
        message = record.getMessage()
        if "bot" in message and _TOKEN_IN_URL.search(message):
            record.msg, record.args = _TOKEN_IN_URL.sub(lambda m: f"/{m.group(1) or ''}bot<redacted>", message), ()
        return True


logging.getLogger("urllib3.connectionpool").addFilter(RedactBotTokens())


class TelegramError(SendError):
    """The Bot API answered `ok: false` (or not at all): its status, description and `retry_after`."""

    def __init__(self, status: int, description: str, retry_after: float | None = None) -> None:
        # 429 and 5xx (and no answer: status 0) are worth a retry; 400/403 (chat not found, bot blocked) never.
        permanent = status not in (0, 429) and status < 500
        super().__init__(f"telegram {status or 'unreachable'}: {description}", retry_after=retry_after,
                         permanent=permanent)
        self.status = status
        self.description = description


def _session() -> requests.Session:
    """One keep-alive HTTP session per thread (requests sessions are not thread-safe)."""
    session: requests.Session | None = getattr(_http, "session", None)
    if session is None:
        session = _http.session = requests.Session()
    return session


def _form(params: dict[str, Any]) -> dict[str, str]:
    """Form fields as the Bot API takes them: strings as they are, everything else as JSON; None left out."""
    return {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in params.items()
            if v is not None}


def call(settings: Settings, method: str, params: dict[str, Any], files: dict[str, Path] | None = None,
         timeout: float = 20) -> Any:
    """Run one Bot API method; its `result`. TelegramError on an error answer or no answer."""
    url = f"{settings.telegram_api_base}/bot{settings.telegram_bot_token}/{method}"
    uploads = {name: (path.name, path.read_bytes()) for name, path in (files or {}).items()}
    try:
        resp = _session().post(url, data=_form(params), files=uploads or None, timeout=timeout)
    except requests.RequestException as exc:
        raise TelegramError(0, type(exc).__name__) from None
    try:
        body = resp.json()
    except ValueError:
        raise TelegramError(resp.status_code, "answer is not JSON") from None
    if resp.status_code == 200 and isinstance(body, dict) and body.get("ok"):
        return body.get("result")
    body = body if isinstance(body, dict) else {}
    retry = (body.get("parameters") or {}).get("retry_after")
    raise TelegramError(int(body.get("error_code") or resp.status_code), str(body.get("description") or "")[:200],
                        float(retry) if isinstance(retry, int | float) else None)


def _message_id(result: Any) -> str:
    if not isinstance(result, dict) or "message_id" not in result:
        raise TelegramError(200, "no message_id in the answer")
    return str(result["message_id"])


def message_params(target: dict[str, Any], text: str) -> dict[str, Any]:
    """sendMessage's parameters for `target` ({chat_id, thread_id?, reply_markup?, reply_to?, mention?})."""
    params: dict[str, Any] = {"chat_id": target["chat_id"], "text": text[:MAX_TEXT],
                              "message_thread_id": target.get("thread_id"), "reply_markup": target.get("reply_markup")}
    if target.get("no_preview"):  # a one-time link: Telegram's preview fetch must not spend it
        params["link_preview_options"] = {"is_disabled": True}
    if target.get("reply_to"):  # a reply in the alert's thread; sent anyway if that message was deleted
        params["reply_parameters"] = {"message_id": target["reply_to"], "allow_sending_without_reply": True}
    mention = target.get("mention")
    if mention:  # a selective ForceReply opens the reply box for this member alone; offsets count UTF-16 units
        params["entities"] = [{"type": "text_mention", "offset": 0,
                               "length": len(mention["name"].encode("utf-16-le")) // 2,
                               "user": {"id": mention["user_id"], "is_bot": False, "first_name": mention["name"]}}]
    return params  # no parse_mode: plain text, so an underscore in a place name cannot break the alert


def send(settings: Settings, target: dict[str, Any], text: str) -> str:
    """Send `text` to the chat in `target`; the Telegram message id."""
    if not settings.telegram_bot_token:
        return devsink.keep(settings, "telegram", str(target["chat_id"]), text,
                            thread_id=target.get("thread_id"), buttons=bool(target.get("reply_markup")))
    return _message_id(call(settings, "sendMessage", message_params(target, text)))


def send_media(settings: Settings, target: dict[str, Any], path: Path, caption: str) -> str:
    """Send a stored photo or voice note to the group in `target`, captioned with the ticket."""
    kind = target["media"]["kind"]
    if not settings.telegram_bot_token:
        return devsink.keep(settings, "telegram", str(target["chat_id"]), caption, media=kind)
    field = "photo" if kind == "photo" else "voice"
    params = {"chat_id": target["chat_id"], "message_thread_id": target.get("thread_id"), "caption": caption}
    return _message_id(call(settings, "sendPhoto" if field == "photo" else "sendVoice", params, {field: path},
                            timeout=60))


def edit(settings: Settings, chat_id: int, message_id: int, text: str, markup: dict[str, Any] | None) -> str:
    """Rewrite an alert in place (after an action), keeping or removing its buttons."""
    if not settings.telegram_bot_token:
        return devsink.keep(settings, "telegram", str(chat_id), text, edits=message_id)
    call(settings, "editMessageText", {"chat_id": chat_id, "message_id": message_id, "text": text[:MAX_TEXT],
                                       "reply_markup": markup})
    return str(message_id)


def answer_callback(settings: Settings, callback_id: str, text: str | None = None) -> None:
    """Stop a pressed button's spinner, with a short notice (https://core.telegram.org/bots/api#answercallbackquery)."""
    call(settings, "answerCallbackQuery", {"callback_query_id": callback_id, "text": text})


def download(settings: Settings, file_id: str, limit: int) -> bytes:
    """A file a user sent (getFile, then the file itself: https://core.telegram.org/bots/api#getfile), at most
    `limit` bytes; SendError when refused, too large or unreachable (the URL, with the token, never shown)."""
    found = call(settings, "getFile", {"file_id": file_id})
    if not isinstance(found, dict) or (found.get("file_size") or 0) > limit or not found.get("file_path"):
        raise SendError("telegram file too large or without a path", permanent=True)
    url = f"{settings.telegram_api_base}/file/bot{settings.telegram_bot_token}/{found['file_path']}"
    try:
        with _session().get(url, timeout=20, stream=True) as resp:
            if resp.status_code != 200:
                raise SendError(f"telegram file download answered {resp.status_code}")
            data = b""
            for chunk in resp.iter_content(64 * 1024):
                data += chunk
                if len(data) > limit:
                    raise SendError("telegram file larger than the limit", permanent=True)
            return data
    except requests.RequestException as exc:
        raise SendError(f"telegram file unreachable: {type(exc).__name__}") from None


def get_updates(settings: Settings, offset: int | None, timeout_s: int) -> list[dict[str, Any]]:
    """Long polling (https://core.telegram.org/bots/api#getupdates): updates after `offset`, waiting up to
    `timeout_s` for one; asking with an offset confirms everything before it."""
    result = call(settings, "getUpdates", {"offset": offset, "timeout": timeout_s,
                                           "allowed_updates": ["message", "callback_query"]},
                  timeout=timeout_s + 10)
    return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []


def set_webhook(settings: Settings, url: str, allowed_updates: list[str], drop_pending: bool = False) -> bool:
    """Register the webhook with its secret token (https://core.telegram.org/bots/api#setwebhook)."""
    return bool(call(settings, "setWebhook", {"url": url, "secret_token": settings.telegram_webhook_secret,
                                              "allowed_updates": allowed_updates,
                                              "drop_pending_updates": drop_pending}))
