"""Liveness, readiness (Redis and database reachable) and Prometheus metrics."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from centres import tokens
from gateway.web.state import app_state
from reports.db import ping

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Redis and the database answer."""
    ctx = app_state().ctx
    checks: dict[str, str] = {}
    try:
        ctx.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    try:
        ping(ctx.engine)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503


@bp.get("/metrics")
def metrics() -> Response | tuple[Response, int]:
    """Prometheus text exposition: to a scraper on this host, or with the operator's token or one with the
    `metrics` scope (Prometheus: `authorization: {credentials: <token>}` in the scrape config). Counts say how
    busy each centre and channel is, which is nobody else's business."""
    if not _loopback(request.remote_addr or ""):
        kind, _, presented = request.headers.get("Authorization", "").partition(" ")
        found = tokens.check(app_state().ctx, presented.strip()) if kind.lower() == "bearer" else None
        if found is None or not found.allows("metrics"):
            resp = jsonify(error="metrics need a bearer token with the metrics scope, or a scraper on this host")
            resp.headers["WWW-Authenticate"] = 'Bearer realm="ntswatch"'
            return resp, 401
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
