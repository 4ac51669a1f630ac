"""The Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify

from gateway.composition import build_context
from gateway.settings import Settings
from gateway.web import (
    api,
    batch,
    broadcasts,
    center,
    dashboard,
    dev,
    guard,
    health,
    login,
    members,
    openapi,
    public,
    simulator,
    walk_in,
)
from gateway.web.proxies import TrustedProxies
from gateway.web.state import AppState
from gateway.web.webhooks import register_webhooks
from reports.context import Context


def create_app(config: Settings | None = None, context: Context | None = None) -> Flask:
    """Build the gateway app around the process's Context (built from `config`, else the environment, unless
    one is given)."""
    ctx = context or build_context(config)
    settings = ctx.settings
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if settings.proxy_hops > 0:
        # The client's address from X-Forwarded-For, from our own proxies only (gateway/web/proxies.py).
        app.wsgi_app = TrustedProxies(app.wsgi_app, settings.proxy_hops,  # type: ignore[method-assign]
                                      settings.trusted_proxies)
    app.extensions["ntswatch"] = AppState(ctx)
    for bp in (health.bp, api.bp, batch.bp, broadcasts.bp, center.bp, dev.bp, login.bp, public.bp,
               simulator.bp, walk_in.bp, dashboard.bp, members.bp, openapi.bp):
        app.register_blueprint(bp)
    register_webhooks(app)
    app.extensions["ntswatch_guard"] = guard.install(app)

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.errorhandler(413)
    def _too_large(_exc: Exception) -> tuple[Response, int]:
        return jsonify(error=f"body larger than {settings.max_body_bytes} bytes"), 413

    logging.getLogger("ntswatch").setLevel(logging.INFO)
    return app
