"""Provider webhooks. Each one: size limit (413), parse (400), verify (403), dedup, one flow step, reply."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, jsonify, request

from gateway.channels import twilio_sms
from gateway.channels.base import WebhookError, parse_form
from gateway.intake import accept
from gateway.metrics import INBOUND, LATENCY
from gateway.web.state import app_state

bp = Blueprint("webhooks", __name__)
log = logging.getLogger("ntswatch.webhooks")


def _public_url() -> str:
    """The URL the provider signed: NTS_PUBLIC_URL + path (+ query) behind a proxy, else the request URL."""
    base = app_state().ctx.settings.public_url
    if not base:
        return request.url
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


@bp.errorhandler(WebhookError)
def _refused(exc: WebhookError) -> tuple[Response, int]:
    channel = (request.view_args or {}).get("channel", request.path.rsplit("/", 2)[-2])
    INBOUND.labels(channel, f"refused_{exc.status}").inc()
    log.info("refused %s %s: %s", request.path, exc.status, exc.message)
    return jsonify(error=exc.message), exc.status


@bp.post("/webhooks/twilio/sms")
def twilio_inbound() -> Response:
    """Twilio inbound SMS → TwiML reply."""
    started = time.perf_counter()
    state = app_state()
    body = request.get_data(cache=False)  # raises 413 over MAX_CONTENT_LENGTH before anything is read
    params = parse_form(body, request.content_type or "")
    twilio_sms.verify(state.ctx.settings.twilio_auth_token, _public_url(), params,
                      request.headers.get("X-Twilio-Signature"))
    msg = twilio_sms.parse(params)
    result = accept(state.ctx, state.engine, msg)
    INBOUND.labels(twilio_sms.CHANNEL, "duplicate" if result.duplicate else "accepted").inc()
    LATENCY.labels(twilio_sms.CHANNEL).observe(time.perf_counter() - started)
    return current_app.response_class(twilio_sms.render(result.reply), mimetype="application/xml")
