"""Provider webhooks, one generic view for every channel adapter: size limit (413), verify (401/403),
parse (400), dedup, one flow step per message, the channel's reply."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Flask, Response, jsonify, request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from flows.language import sender_language
from gateway.channels.base import Adapter, Parsed, WebhookError, WebRequest, WebResponse
from gateway.channels.registry import ADAPTERS
from gateway.intake import InFlight, dispatch
from gateway.metrics import INBOUND, LATENCY, SPOOL
from gateway.web.state import AppState, app_state
from i18n.catalog import text as t
from reporters.outbound import queue_message

log = logging.getLogger("ntswatch.webhooks")


def _web_request() -> WebRequest:
    base = app_state().ctx.settings.public_url
    query = request.query_string.decode("latin-1")
    signed = (base + request.path + (f"?{query}" if query else "")) if base else request.url
    return WebRequest(
        body=request.get_data(cache=False),  # raises 413 over MAX_CONTENT_LENGTH before reading
        headers={k.lower(): v for k, v in request.headers.items()},
        query={k: v for k, v in request.args.items()},
        content_type=request.content_type or "",
        method=request.method,
        signed_url=signed,
        remote_addr=request.remote_addr or "",
    )


def _view(adapter: Adapter) -> Callable[[], Response | tuple[Response, int]]:
    def view() -> Response | tuple[Response, int]:
        started = time.perf_counter()
        state = app_state()
        parsed: Parsed | None = None
        try:
            req = _web_request()
            payload = adapter.verify(state.transport, req)
            parsed = adapter.parse(state.transport, req, payload)
            if parsed.response is not None and not parsed.events:  # nothing to dispatch: answer as parsed
                INBOUND.labels(adapter.name, "event").inc()
                out = parsed.response
            else:
                results = [dispatch(state.ctx, state.engine, e) for e in parsed.events]
                for r in results:
                    INBOUND.labels(adapter.name, "duplicate" if r.duplicate else "accepted").inc()
                rendered = adapter.render(state.transport, parsed, results)
                for message in rendered.later:
                    queue_message(state.ctx, message)
                out = rendered.response
        except WebhookError as exc:
            INBOUND.labels(adapter.name, f"refused_{exc.status}").inc()
            log.info("refused %s %s: %s", adapter.name, exc.status, exc.message)
            return jsonify(error=exc.message), exc.status
        except InFlight:
            # Not a 2xx: if the first handler died, the provider's retry after IN_FLIGHT_TTL_S gets it done.
            INBOUND.labels(adapter.name, "in_flight").inc()
            resp = jsonify(error="this message is being handled; retry later")
            resp.headers["Retry-After"] = "5"
            return resp, 503
        except (RedisConnectionError, RedisTimeoutError) as exc:
            log.warning("redis unreachable on %s (%s): spooling", adapter.name, type(exc).__name__)
            out = _spool(state, adapter, parsed)
        LATENCY.labels(adapter.name).observe(time.perf_counter() - started)
        return Response(out.body, status=out.status, content_type=out.content_type)

    view.__name__ = f"webhook_{adapter.name}"
    return view


def _spool(state: AppState, adapter: Adapter, parsed: Parsed | None) -> WebResponse:
    """Redis is down: keep every message on local disk (fsync'd) and tell the reporter we will answer later.

    A request we could not parse (it needed Redis) or that carries no message gets 503, so the provider
    retries it; a spool that cannot write gets 503 too. Nothing acknowledged with a 2xx is only in memory.
    """
    if parsed is None or not parsed.messages:
        return WebResponse('{"error": "temporarily unavailable"}', 503, "application/json")
    kept = [m for m in parsed.messages if m.text.strip() or m.location or m.media]
    try:
        for msg in kept:
            state.spool.append(msg)
    except OSError:
        log.exception("spool write failed on %s", adapter.name)
        return WebResponse('{"error": "temporarily unavailable"}', 503, "application/json")
    SPOOL.labels("written").inc(len(kept))
    INBOUND.labels(adapter.name, "spooled").inc(len(kept))
    text = t(sender_language(parsed.messages[0]), "received_later" if kept else "busy_later")
    if adapter.offline is None:
        return WebResponse("", 200)
    return adapter.offline(parsed, text)


def register_webhooks(app: Flask) -> None:
    """One route per registered channel adapter."""
    for adapter in ADAPTERS:
        app.add_url_rule(adapter.path, endpoint=f"webhook_{adapter.name}", view_func=_view(adapter),
                         methods=list(adapter.methods))
