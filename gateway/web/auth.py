"""Bearer-token checks for the API and the centre pages (constant-time comparison)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, jsonify, request

from gateway.web.state import app_state

F = TypeVar("F", bound=Callable[..., Any])


def _token_ok(given: str) -> bool:
    expected = app_state().ctx.settings.api_token
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def require_bearer(view: F) -> F:
    """401 unless `Authorization: Bearer $NTS_API_TOKEN`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not _token_ok(token.strip()):
            resp = jsonify(error="missing or wrong bearer token")
            resp.headers["WWW-Authenticate"] = 'Bearer realm="ntswatch"'
            return resp, 401
        return view(*args, **kwargs)

    return cast(F, wrapper)


def require_basic(view: F) -> F:
    """401 with a browser login prompt unless the password is NTS_API_TOKEN (any user name)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        auth = request.authorization
        if auth is None or not _token_ok(auth.password or ""):
            return Response("login required", 401, {"WWW-Authenticate": 'Basic realm="NTS-MWCC inbox"'})
        return view(*args, **kwargs)

    return cast(F, wrapper)
