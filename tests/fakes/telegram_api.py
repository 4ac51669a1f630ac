"""A local Telegram Bot API server: POST /bot<token>/<method>, JSON or form bodies, recorded.

It answers like https://core.telegram.org/bots/api#making-requests, including 429 with
`parameters.retry_after` and 5xx, when told to fail.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.quiet_server import QuietServer


@dataclass
class Call:
    """One request the server received."""

    token: str
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.time)  # when it arrived (benchmarks measure send rates)


@dataclass
class FakeTelegram:
    """The server's state: calls received, failures to inject."""

    calls: list[Call] = field(default_factory=list)
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_message_id: int = 1000
    server: QuietServer | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> content, served by getFile
    file_delay_s: float = 0.0
    down_until: float = 0.0  # time.monotonic() before which every call gets 502 (an outage, chaos benchmark)
    updates: list[dict[str, Any]] = field(default_factory=list)  # what getUpdates hands out (polling bots)

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def sent(self, method: str = "sendMessage") -> list[Call]:
        """Successful calls of `method`."""
        with self.lock:
            return [c for c in self.calls if c.method == method and c.params.get("_ok")]

    def fail_with_429(self, retry_after: int, times: int = 1) -> None:
        """Answer the next `times` calls with Too Many Requests."""
        body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after}}
        self.fail_next.extend([(429, body)] * times)

    def reset(self) -> None:
        """Forget every call, failure and file (the server is shared by the tests of a session)."""
        with self.lock:
            self.calls.clear()
            self.fail_next.clear()
            self.files.clear()
            self.updates.clear()
            self.file_delay_s = 0.0
            self.down_until = 0.0

    def fail_with(self, status: int, description: str, times: int = 1) -> None:
        """Answer the next `times` calls with an error."""
        self.fail_next.extend([(status, {"ok": False, "error_code": status, "description": description})] * times)


def _handler(state: FakeTelegram) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            # File downloads: GET /file/bot<token>/<file_path> (https://core.telegram.org/bots/api#getfile)
            file_id = self.path.rsplit("/", 1)[-1].split(".", 1)[0]
            time.sleep(state.file_delay_s)  # a slow download keeps a worker mid-job (the SIGKILL test)
            data = state.files.get(file_id)
            self.send_response(200 if data is not None else 404)
            self.send_header("Content-Length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":  # aiohttp streams uploads
                data = b""
                while True:
                    size = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self) -> None:
            raw = self._body()
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype:
                params = json.loads(raw or b"{}")
            elif "multipart" in ctype:
                message = BytesParser(policy=email_policy).parsebytes(
                    f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
                params = {"_multipart": True}
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    payload = part.get_payload(decode=True)
                    payload = payload if isinstance(payload, bytes) else b""
                    params[str(name)] = payload.decode() if part.get_filename() is None else {
                        "filename": part.get_filename(), "size": len(payload), "head": payload[:8].hex()}
            else:
                params = dict(parse_qsl(raw.decode()))
            _, token, method = self.path.split("/", 2)
            call = Call(token.removeprefix("bot"), method, params)
            with state.lock:
                state.calls.append(call)
                failure = state.fail_next.pop(0) if state.fail_next else None
                if failure is None and time.monotonic() < state.down_until:
                    failure = (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
                if failure is None:
                    params["_ok"] = True
                    state.next_message_id += 1
                    message_id = state.next_message_id
            if failure is not None:
                status, body = failure
            else:
                status = 200
                chat_id = int(params.get("chat_id", 0))
                result: Any = True
                if method in ("sendMessage", "sendPhoto", "sendVoice", "editMessageText"):
                    result = {"message_id": message_id, "date": int(time.time()),
                              "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private",
                                       "title": "centre"},
                              "text": params.get("text", "")}
                    if params.get("message_thread_id"):
                        result["message_thread_id"] = int(params["message_thread_id"])
                        result["is_topic_message"] = True
                elif method == "getFile":
                    fid = str(params.get("file_id"))
                    if fid not in state.files:
                        self._json(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: invalid file_id"})
                        return
                    result = {"file_id": fid, "file_unique_id": fid[:8], "file_size": len(state.files[fid]),
                              "file_path": f"photos/{fid}.bin"}
                elif method == "setWebhook":
                    result = True
                elif method == "getUpdates":
                    offset = int(params.get("offset") or 0)
                    with state.lock:  # asking with an offset confirms every update before it
                        state.updates[:] = [u for u in state.updates if u["update_id"] >= offset]
                        result = list(state.updates)
                elif method == "getMe":
                    result = {"id": 42, "is_bot": True, "first_name": "NTS", "username": "nts_test_bot"}
                body = {"ok": True, "result": result}
            self._json(status, body)

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def start_fake_telegram() -> FakeTelegram:
    """Start the server on a free loopback port (daemon thread)."""
    state = FakeTelegram()
    server = QuietServer(("127.0.0.1", 0), _handler(state))
    state.server = server
    # A short poll interval: shutdown() waits for the loop to notice (0.5 s by default, per server).
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return state
