"""Per-source-address limit on refused requests: someone guessing a webhook secret, a signature or the API
token from one address is answered 429 after REFUSAL_LIMIT refusals in a sliding window.

Only refusals (401/403) are counted, so a provider's busy address is never throttled for honest traffic, and
the happy path costs no Redis call: the window lives in Redis (shared by every process), the verdict is cached
in the process that saw the refusal that crossed the limit.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time

from flask import Flask, Response, jsonify, request
from redis.exceptions import RedisError

from gateway.web.state import app_state

log = logging.getLogger("ntswatch.guard")

REFUSAL_LIMIT = 30
WINDOW_S = 600


class SourceGuard:
    """Blocked source addresses of this process, and the shared sliding window of refusals."""

    def __init__(self) -> None:
        self._blocked: dict[str, float] = {}  # address → monotonic time the block ends
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it is not blocked."""
        with self._lock:
            until = self._blocked.get(address)
            if until is None:
                return None
            left = until - time.monotonic()
            if left <= 0:
                del self._blocked[address]
                return None
            return int(left) + 1

    def refused(self, address: str) -> None:
        """Count one refusal from `address` (sliding window in a Redis sorted set)."""
        redis = app_state().ctx.redis
        key = f"nts:refused:{address}"
        now = time.time()
        try:
            pipe = redis.pipeline(transaction=True)
            pipe.zremrangebyscore(key, 0, now - WINDOW_S)
            pipe.zadd(key, {f"{now:.6f}:{secrets.token_hex(4)}": now})
            pipe.zcard(key)
            pipe.expire(key, WINDOW_S)
            count = int(pipe.execute()[2])
        except RedisError:
            return  # fail open: the signature checks still stand
        if count > REFUSAL_LIMIT:
            with self._lock:
                self._blocked[address] = time.monotonic() + WINDOW_S
            log.warning("source address blocked for %d s after %d refusals", WINDOW_S, count)


def install(app: Flask) -> SourceGuard:
    """Check every request's source address first; count every 401/403 answer."""
    guard = SourceGuard()

    @app.before_request
    def _check_source() -> tuple[Response, int] | None:
        wait = guard.retry_after(request.remote_addr or "")
        if wait is None:
            return None
        resp = jsonify(error="too many refused requests from this address; try again later")
        resp.headers["Retry-After"] = str(wait)
        return resp, 429

    @app.after_request
    def _count_refusal(resp: Response) -> Response:
        if resp.status_code in (401, 403):
            guard.refused(request.remote_addr or "")
        return resp

    return guard
