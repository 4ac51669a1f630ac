"""`ntswatch telegram`: the Telegram bot by long polling (works from an office with no public address), and
`ntswatch telegram set-webhook` for webhook mode.

Each update fetched with getUpdates (https://core.telegram.org/bots/api#getupdates) goes through the same
parser (`gateway.channels.telegram.update.events_of`) and the same dispatcher (`gateway.intake.dispatch`) as a
webhook, so polling and webhook behave alike; replies go straight back through the Bot API client, and every
callback query is answered. Asking for updates after an offset confirms the ones before it: an update whose
handling failed is confirmed only after it was handled, so a crash means Telegram sends it again (the dedup
on update_id makes that harmless).
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from redis.exceptions import RedisError

from flows.engine import Engine
from gateway.channels import telegram
from gateway.channels.base import WebhookError
from gateway.channels.events import Inbound
from gateway.channels.sending import SendError
from gateway.channels.telegram import client
from gateway.channels.telegram.update import events_of
from gateway.intake import InFlight, dispatch
from reports.context import Context

log = logging.getLogger("ntswatch.telegram")
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT_S = 20  # how long one getUpdates waits for news (long polling)
BACKOFF_S = (1, 2, 5, 10, 30)  # after failed polls, the last repeats


def handle_update(ctx: Context, engine: Engine, update: dict[str, Any]) -> None:
    """One update: parsed like a webhook, dispatched, the reply sent and the callback query answered.

    A malformed update is logged and skipped (a webhook would answer it 400); a message already being handled
    elsewhere (InFlight) is left for its first handler."""
    try:
        events, callback_id = events_of(update)
    except WebhookError as exc:
        log.warning("update %s skipped: %s", update.get("update_id"), exc.message)
        return
    toast = None
    for event in events:
        try:
            result = dispatch(ctx, engine, event)
        except InFlight:
            continue
        toast = result.toast or toast
        if isinstance(event, Inbound) and result.text and not result.duplicate:
            target = {"chat_id": int(event.address[3:]),
                      "reply_markup": telegram.keyboard(telegram.reply_options(result.reply))}
            client.send(ctx.settings, target, result.text)
    if callback_id:  # always: the button stops spinning even when the choice is stale
        try:
            client.answer_callback(ctx.settings, callback_id, toast)
        except SendError as exc:  # too late (over 15 s) or already answered: nothing to do
            log.info("callback query not answered: %s", exc)


def run_polling(ctx: Context, stop_after: float | None = None) -> int:
    """Poll Telegram for updates until SIGTERM/SIGINT (or `stop_after` seconds, for tests)."""
    if not ctx.settings.telegram_bot_token:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set: the bot has nothing to poll")
    engine = Engine.for_context(ctx)
    stopping = False

    def stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt  # leaves a long poll at once; nothing half-done is confirmed

    signal.signal(signal.SIGTERM, stop)
    deadline = time.monotonic() + stop_after if stop_after is not None else None
    offset: int | None = None
    failures = 0
    log.info("telegram bot polling via %s", ctx.settings.telegram_api_base)
    try:
        while not stopping and (deadline is None or time.monotonic() < deadline):
            try:
                updates = client.get_updates(ctx.settings, offset, 1 if deadline else POLL_TIMEOUT_S)
            except SendError as exc:
                wait = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                log.warning("getUpdates failed (%s); again in %d s", exc, wait)  # 409: a webhook is set
                time.sleep(wait)
                continue
            failures = 0
            for update in updates:
                try:
                    handle_update(ctx, engine, update)
                except RedisError as exc:  # kept unconfirmed: Telegram gives it again on the next poll
                    log.warning("redis unavailable (%s); update %s waits", type(exc).__name__, update.get("update_id"))
                    time.sleep(BACKOFF_S[1])
                    break
                if isinstance(update.get("update_id"), int):
                    offset = int(update["update_id"]) + 1  # confirmed once handled
    except KeyboardInterrupt:
        pass
    log.info("telegram bot stopped")
    return 0


def set_webhook(ctx: Context, drop_pending: bool = False) -> dict[str, object]:
    """Register NTS_PUBLIC_URL/webhooks/telegram with TELEGRAM_WEBHOOK_SECRET (setWebhook)."""
    settings = ctx.settings
    if not settings.public_url or not settings.telegram_webhook_secret or not settings.telegram_bot_token:
        raise SystemExit("NTS_PUBLIC_URL, TELEGRAM_WEBHOOK_SECRET and TELEGRAM_BOT_TOKEN are needed for webhook mode")
    url = f"{settings.public_url}/webhooks/telegram"
    return {"url": url, "ok": client.set_webhook(settings, url, ALLOWED_UPDATES, drop_pending)}
