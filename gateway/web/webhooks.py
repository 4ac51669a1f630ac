"""Provider webhooks, one generic view for every channel adapter: size limit (413), verify (401/403),
parse (400), dedup, one flow step per message, the channel's reply."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Flask, Response, jsonify, request

from gateway.channels.base import Adapter, WebhookError, WebRequest
from gateway.channels.registry import ADAPTERS
from gateway.intake import accept
from gateway.metrics import INBOUND, LATENCY
from gateway.web.state import app_state

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
        try:
            req = _web_request()
            payload = adapter.verify(state.ctx, req)
            parsed = adapter.parse(state.ctx, req, payload)
        except WebhookError as exc:
            INBOUND.labels(adapter.name, f"refused_{exc.status}").inc()
            log.info("refused %s %s: %s", adapter.name, exc.status, exc.message)
            return jsonify(error=exc.message), exc.status
        if parsed.response is not None and not parsed.messages:  # nothing for the flow: answer as parsed
            INBOUND.labels(adapter.name, "event").inc()
            out = parsed.response
        else:
            results = [accept(state.ctx, state.engine, m) for m in parsed.messages]
            for r in results:
                INBOUND.labels(adapter.name, "duplicate" if r.duplicate else "accepted").inc()
            out = adapter.render(state.ctx, parsed, results)
        LATENCY.labels(adapter.name).observe(time.perf_counter() - started)
        return Response(out.body, status=out.status, content_type=out.content_type)

    view.__name__ = f"webhook_{adapter.name}"
    return view


def register_webhooks(app: Flask) -> None:
    """One route per registered channel adapter."""
    for adapter in ADAPTERS:
        app.add_url_rule(adapter.path, endpoint=f"webhook_{adapter.name}", view_func=_view(adapter),
                         methods=list(adapter.methods))
