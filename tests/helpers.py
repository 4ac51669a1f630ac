"""Helpers shared by tests: signing Twilio requests, running the worker until the queue is drained."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from redis import ConnectionPool, Redis
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry
from twilio.request_validator import RequestValidator

from i18n import LANGUAGES
from i18n.catalog import text as t
from reports.context import Context
from reports.models import Report
from reports.queue import QUEUE_NAME
from tests.conftest import TWILIO_TOKEN

PUBLIC_URL = "https://gateway.example.org/webhooks/twilio/sms"


def twilio_params(body: str, sender: str = "+66812345678", sid: str | None = None, **extra: str) -> dict[str, str]:
    """The form fields Twilio posts for an inbound SMS."""
    params = {
        "ToCountry": "TH", "ToState": "", "SmsMessageSid": "", "NumMedia": "0", "ToCity": "", "FromZip": "",
        "SmsSid": "", "FromState": "", "SmsStatus": "received", "FromCity": "", "Body": body,
        "FromCountry": "TH", "To": "+6640001234", "ToZip": "", "NumSegments": "1",
        "MessageSid": sid or "SM" + secrets.token_hex(16), "AccountSid": "AC" + "1" * 32,
        "From": sender, "ApiVersion": "2010-04-01",
    }
    params["SmsMessageSid"] = params["SmsSid"] = params["MessageSid"]
    params.update(extra)
    return params


def sign(params: dict[str, str], url: str = PUBLIC_URL, token: str = TWILIO_TOKEN) -> str:
    """X-Twilio-Signature for `params` posted to `url`."""
    return str(RequestValidator(token).compute_signature(url, params))


def rq_connection(client: Redis | Context) -> Redis:
    """A Redis client RQ can use (bytes answers) for the server and database of `client`."""
    if isinstance(client, Context):
        return client.jobs.redis
    pool = client.connection_pool
    if not pool.connection_kwargs.get("decode_responses"):
        return client
    kwargs = {**pool.connection_kwargs, "decode_responses": False}
    return Redis(connection_pool=ConnectionPool(connection_class=pool.connection_class, **kwargs))


def rq_queue(client: Redis | Context) -> Queue:
    """The gateway's RQ queue on the Redis of `client`."""
    return Queue(QUEUE_NAME, connection=rq_connection(client))


def run_worker(client: Redis | Context, timeout: float = 20.0) -> None:
    """Run a burst worker (with the scheduler) until no job is queued or scheduled within `timeout`."""
    redis = rq_connection(client)
    queue = Queue(QUEUE_NAME, connection=redis)
    deadline = time.monotonic() + timeout
    while True:
        SimpleWorker([queue], connection=redis).work(burst=True, with_scheduler=True, logging_level="WARNING")
        # Jobs due later than the timeout (escalation timers, minutes away) are not waited for.
        soon = redis.zcount(ScheduledJobRegistry(queue=queue).key, 0, time.time() + timeout)
        if soon == 0 and queue.count == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"worker did not drain: {queue.count} queued, {soon} scheduled")
        time.sleep(0.2)


def form(params: dict[str, Any]) -> str:
    """URL-encode form fields."""
    from urllib.parse import urlencode

    return urlencode(params)


def stored_report(ctx: Context, text: str, sender: str = "+66812345678",
                  location: tuple[float, float] | None = None) -> Report:
    """A one-line report by SMS, processed by the worker; the stored Report row."""
    from datetime import UTC, datetime

    from flows.engine import Engine
    from gateway.channels.events import Inbound

    engine = Engine.for_context(ctx)
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", sender, text, datetime.now(UTC),
                                  location=location))
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.get(Report, reply.report_id)
    assert report is not None, reply.text
    return report


def is_received_update(text: str) -> bool:
    """Whether `text` is the proactive "the district centre has received your report" update (any language),
    which follows every routed report; tests about replies leave it out."""
    for lang in LANGUAGES:
        for key in ("update_received", "update_received_national"):
            template = re.escape(t(lang, key, ticket="\x00", district="\x01"))
            if re.fullmatch(template.replace("\x00", r"\d+").replace("\x01", ".+"), text):
                return True
    return False


def log_in(ctx: Context, client: Any, principal: Any, base_url: str = "https://gateway.example.org") -> Any:
    """Open a fresh one-time login link for `principal` (centres.access.Principal) in `client`, as a browser."""
    from centres import logins

    code = logins.make_login_code(ctx, principal)
    return client.get(f"/login/{code}", base_url=base_url, headers={"User-Agent": "Mozilla/5.0 (X11) Chrome/156"})
