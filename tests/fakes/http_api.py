"""A small recording HTTP server for provider REST APIs (the Android gateway's, Twilio's, LINE's).

Each test registers how to answer a method and path; the server records every request (method, path,
headers, decoded body) so the test can check exactly what went over the wire.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.quiet_server import QuietServer

Answer = tuple[int, Any]  # (status, JSON body)


@dataclass
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # JSON, form dict, or raw text
    at: float = field(default_factory=time.time)  # when it arrived (benchmarks measure send rates)


@dataclass
class FakeAPI:
    """Routes and recorded requests."""

    routes: dict[tuple[str, str], Callable[[Request], Answer]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    failures: list[Answer] = field(default_factory=list)
    server: QuietServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    defaults: dict[tuple[str, str], Callable[[Request], Answer]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, method: str, path: str, answer: Callable[[Request], Answer]) -> None:
        """Answer `method path` (path may end with `*` to match a prefix)."""
        self.routes[(method, path)] = answer

    def keep_routes(self) -> None:
        """The routes set so far are this server's defaults, restored by `reset`."""
        self.defaults = dict(self.routes)

    def reset(self) -> None:
        """Forget requests, failures and routes added since `keep_routes` (shared by a session's tests)."""
        with self.lock:
            self.requests.clear()
            self.failures.clear()
            self.routes = dict(self.defaults)

    def fail_next(self, status: int, body: Any = None, times: int = 1) -> None:
        """Answer the next `times` requests with an error."""
        self.failures.extend([(status, body or {"error": "injected"})] * times)

    def received(self, method: str, path_prefix: str) -> list[Request]:
        """Requests for a method and path prefix that were answered 2xx."""
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)
                    and r.headers.get("x-answered") == "2xx"]

    def _find(self, method: str, path: str) -> Callable[[Request], Answer] | None:
        if (method, path) in self.routes:
            return self.routes[(method, path)]
        for (m, p), answer in self.routes.items():
            if m == method and p.endswith("*") and path.startswith(p[:-1]):
                return answer
        return None


def _handler(state: FakeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            ctype = self.headers.get("Content-Type", "")
            body: Any
            if "json" in ctype:
                body = json.loads(raw or b"null")
            elif "form" in ctype:
                body = dict(parse_qsl(raw.decode()))
            else:
                body = raw.decode(errors="replace")
            path = urlsplit(self.path).path
            req = Request(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body)
            with state.lock:
                state.requests.append(req)
                failure = state.failures.pop(0) if state.failures else None
            answer = state._find(self.command, path)
            if failure is not None:
                status, payload = failure
            elif answer is None:
                status, payload = 404, {"error": f"no route {self.command} {path}"}
            else:
                status, payload = answer(req)
            if 200 <= status < 300:
                req.headers["x-answered"] = "2xx"
            binary = isinstance(payload, bytes)
            data = payload if binary else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream" if binary else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


def start_fake_api() -> FakeAPI:
    """Start a recording server on a free loopback port."""
    state = FakeAPI()
    server = QuietServer(("127.0.0.1", 0), _handler(state))
    state.server = server
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return state
