"""The gateway's app and a bare Flask endpoint in one WSGI application, so the webhook path and the bare
endpoint are measured in the same gunicorn setup (bench/gateway_path.py starts gunicorn on `app`)."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from gateway.app import create_app
from gateway.composition import build_context

_bare = Flask("bare")
_bare.add_url_rule("/", "bare", lambda: "<Response/>", methods=["POST"])
_ctx = build_context()
_gateway = create_app(context=_ctx)
_gateway.extensions["ntswatch"].engine  # noqa: B018 (warm, as `ntswatch web` does before serving)
_ctx.gazetteer.warm()
app = DispatcherMiddleware(_gateway.wsgi_app, {"/bare": _bare.wsgi_app})
