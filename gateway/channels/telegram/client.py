"""The Bot API client the workers and the webhook path use: aiogram's typed methods and results, carried by a
plain synchronous HTTP call.

Why this shape: the RQ workers are synchronous, and aiogram's `Bot` is asyncio-only. Running it on a private
event-loop thread (what this project did before) made every send cross threads and kept an aiohttp session
and a loop alive in every process. Here the request is built by aiogram's own `prepare_value` from a typed
method (`SendMessage`, `EditMessageText`, …) and the answer is checked by aiogram's own `check_response`, so
errors are aiogram's (`TelegramRetryAfter` with its `retry_after`, `TelegramForbiddenError`, …) and results
are aiogram's models. The polling bot (`bots/telegram.py`) keeps aiogram's async `Bot` and `Dispatcher`,
which is what they are for; both feed the same typed `Update` to the same parser.

Bot API: https://core.telegram.org/bots/api#making-requests — 429 carries `parameters.retry_after`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any, TypeVar

import requests
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetFile,
    SendMessage,
    SendPhoto,
    SendVoice,
    SetWebhook,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    ForceReply,
    FSInputFile,
    InlineKeyboardMarkup,
    InputFile,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyParameters,
    User,
)

from gateway.channels import devsink
from gateway.channels.sending import SendError
from gateway.settings import Settings

log = logging.getLogger("ntswatch.telegram")
T = TypeVar("T")
MAX_TEXT = 4096  # https://core.telegram.org/bots/api#sendmessage
_TOKEN_IN_URL = re.compile(r"/(file/)?bot[0-9]+:[A-Za-z0-9_-]+")


class RedactBotTokens(logging.Filter):
    """Removes bot tokens from log lines: the Bot API puts the token in every URL, and HTTP libraries log URLs
    (urllib3 at DEBUG, exceptions' messages)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with every `/bot<token>` replaced; always keep the record."""
        message = record.getMessage()
        if "bot" in message and _TOKEN_IN_URL.search(message):
            record.msg, record.args = _TOKEN_IN_URL.sub(lambda m: f"/{m.group(1) or ''}bot<redacted>", message), ()
        return True


for _name in ("urllib3.connectionpool", "aiohttp.client", "aiogram.event", "aiogram.dispatcher"):
    logging.getLogger(_name).addFilter(RedactBotTokens())


class _RequestBuilder(BaseSession):
    """aiogram's request preparation and response checking, without its asyncio transport."""

    async def close(self) -> None:  # nothing to close: requests carries the calls
        return None

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        raise NotImplementedError("calls go through gateway.channels.telegram.client.call")

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
                             chunk_size: int = 65536, raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError
        yield b""  # pragma: no cover (makes this an async generator, as the base class declares)


_bots: dict[tuple[str, str], Bot] = {}
_http = threading.local()


def _bot(settings: Settings) -> Bot:
    key = (settings.telegram_bot_token, settings.telegram_api_base)
    bot = _bots.get(key)
    if bot is None:
        bot = _bots[key] = Bot(settings.telegram_bot_token,
                               session=_RequestBuilder(api=TelegramAPIServer.from_base(settings.telegram_api_base)))
    return bot


def _session() -> requests.Session:
    """One keep-alive HTTP session per thread (requests sessions are not thread-safe)."""
    session: requests.Session | None = getattr(_http, "session", None)
    if session is None:
        session = _http.session = requests.Session()
    return session


def _file_bytes(item: InputFile) -> bytes:
    if isinstance(item, FSInputFile):
        return Path(item.path).read_bytes()
    if isinstance(item, BufferedInputFile):
        return item.data
    raise TypeError(f"cannot upload {type(item).__name__}")


def call(settings: Settings, method: TelegramMethod[T], timeout: float = 20) -> T:
    """Run one Bot API method and return its typed result; aiogram's exceptions on an error answer.

    Never lets the request URL (it carries the bot token) into an exception message or a log line.
    """
    bot = _bot(settings)
    session = bot.session
    files: dict[str, InputFile] = {}
    data: dict[str, Any] = {}
    for key, value in method.model_dump(warnings=False).items():
        prepared = session.prepare_value(value, bot=bot, files=files)
        if prepared:
            data[key] = prepared
    url = session.api.api_url(token=bot.token, method=method.__api_method__)
    uploads = {key: (item.filename or key, _file_bytes(item)) for key, item in files.items()}
    try:
        resp = _session().post(url, data=data, files=uploads or None, timeout=timeout)
    except requests.RequestException as exc:
        raise TelegramNetworkError(method=method, message=type(exc).__name__) from None
    result: T = session.check_response(bot, method, resp.status_code, resp.text).result  # type: ignore[assignment]
    return result


def _guarded(settings: Settings, method: TelegramMethod[Any], timeout: float = 20) -> Any:
    """`call`, with aiogram's errors mapped to retry (429, 5xx, network) or give up (400/403)."""
    try:
        return call(settings, method, timeout)
    except TelegramRetryAfter as exc:
        raise SendError(f"telegram 429: retry after {exc.retry_after}s", retry_after=exc.retry_after) from None
    except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as exc:
        raise SendError(f"telegram unavailable: {type(exc).__name__}") from None
    except TelegramAPIError as exc:
        # 400/403 (chat not found, bot removed from the group, blocked by the user): retrying will not help.
        raise SendError(f"telegram refused: {exc.message}", permanent=True) from None


def markup_from(data: dict[str, Any] | None) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ForceReply | None:
    """aiogram's markup object for a reply_markup dict (inline buttons, a reply keyboard or a ForceReply)."""
    if not data:
        return None
    if "keyboard" in data:
        return ReplyKeyboardMarkup.model_validate(data)
    if data.get("force_reply"):
        return ForceReply.model_validate(data)
    return InlineKeyboardMarkup.model_validate(data)


def message(target: dict[str, Any], text: str) -> SendMessage:
    """The sendMessage for `target` ({chat_id, thread_id?, reply_markup?, reply_to?, mention?})."""
    # A reply in the alert's thread (the reporter's answer); sent anyway if that message was deleted.
    reply = ReplyParameters(message_id=target["reply_to"], allow_sending_without_reply=True) \
        if target.get("reply_to") else None
    # A mention of one member at the start of the text (a selective ForceReply opens the reply box for them
    # alone: https://core.telegram.org/bots/api#forcereply); offsets count UTF-16 units.
    mention = target.get("mention")
    entities = [MessageEntity(type="text_mention", offset=0, length=len(mention["name"].encode("utf-16-le")) // 2,
                              user=User(id=mention["user_id"], is_bot=False, first_name=mention["name"]))] \
        if mention else None
    return SendMessage(chat_id=target["chat_id"], text=text[:MAX_TEXT], message_thread_id=target.get("thread_id"),
                       parse_mode=None,  # plain text: an underscore in a place name must not break the alert
                       entities=entities, reply_markup=markup_from(target.get("reply_markup")),
                       reply_parameters=reply)


def send(settings: Settings, target: dict[str, Any], text: str) -> str:
    """Send `text` to the chat in `target`; return the Telegram message id."""
    if not settings.telegram_bot_token:
        return devsink.keep(settings, "telegram", str(target["chat_id"]), text,
                            thread_id=target.get("thread_id"), buttons=bool(target.get("reply_markup")))
    return str(_guarded(settings, message(target, text)).message_id)


def send_media(settings: Settings, target: dict[str, Any], path: Path, caption: str) -> str:
    """Send a stored photo or voice note to the group in `target`, captioned with the ticket."""
    if not settings.telegram_bot_token:
        return devsink.keep(settings, "telegram", str(target["chat_id"]), caption, media=target["media"]["kind"])
    common: dict[str, Any] = {"chat_id": target["chat_id"], "message_thread_id": target.get("thread_id"),
                              "caption": caption}
    method: TelegramMethod[Any] = SendPhoto(photo=FSInputFile(path), **common) \
        if target["media"]["kind"] == "photo" else SendVoice(voice=FSInputFile(path), **common)
    return str(_guarded(settings, method, timeout=60).message_id)


def edit(settings: Settings, chat_id: int, message_id: int, text: str, markup: dict[str, Any] | None) -> str:
    """Rewrite an alert in place (after an action), keeping or removing its buttons."""
    if not settings.telegram_bot_token:
        return devsink.keep(settings, "telegram", str(chat_id), text, edits=message_id)
    _guarded(settings, EditMessageText(chat_id=chat_id, message_id=message_id, text=text[:MAX_TEXT],
                                       parse_mode=None, reply_markup=markup_from(markup)))  # type: ignore[arg-type]
    return str(message_id)


def answer_callback(settings: Settings, callback_id: str, text: str | None = None) -> None:
    """Stop a pressed button's spinner, with a short notice (used when the webhook answer was spent)."""
    _guarded(settings, AnswerCallbackQuery(callback_query_id=callback_id, text=text))


def download(settings: Settings, file_id: str, limit: int) -> bytes:
    """A file a user sent (getFile, then the file itself: https://core.telegram.org/bots/api#getfile), at most
    `limit` bytes; SendError when refused, too large or unreachable (the URL, with the token, never shown)."""
    found = _guarded(settings, GetFile(file_id=file_id))
    if (found.file_size or 0) > limit or not found.file_path:
        raise SendError("telegram file too large or without a path", permanent=True)
    url = _bot(settings).session.api.file_url(token=settings.telegram_bot_token, path=found.file_path)
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


def set_webhook(settings: Settings, url: str, allowed_updates: list[str], drop_pending: bool = False) -> bool:
    """Register the webhook with its secret token (https://core.telegram.org/bots/api#setwebhook)."""
    return bool(call(settings, SetWebhook(url=url, secret_token=settings.telegram_webhook_secret,
                                          allowed_updates=allowed_updates, drop_pending_updates=drop_pending)))
