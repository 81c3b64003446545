"""A real HTTP server on 127.0.0.1 that records every request and answers as a test scripts it.

Stands in for Slack, a webhook receiver or PagerDuty over real sockets: outputs talk
to it with their real HTTP client. A test scripts answers in order (`script`), or
installs a function that decides per request (`respond_with`); a `Reply` can be any
status with a body and headers (429 + Retry-After, 500, 400 ...), or hang past the
client's timeout (`delay`).
"""
from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), "application/json"
        return str(self.body).encode(), "text/plain"


class RecordingServer:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._script: deque[Reply] = deque()
        self._responder: Callable[[RecordedRequest], Reply] = lambda request: Reply()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order, then fall back to the responder."""
        with self._lock:
            self._script.extend(replies)

    def respond_with(self, responder: Callable[[RecordedRequest], Reply]) -> None:
        self._responder = responder

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def __enter__(self) -> "RecordingServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            scripted = self._script.popleft() if self._script else None
        return scripted or self._responder(request)

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = RecordedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                          self.rfile.read(length), time.monotonic())
                reply = server._answer(request)
                if reply.delay and server._stopping.wait(reply.delay):
                    return
                body, content_type = reply.encoded()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class RateLimitedEndpoint:
    """Responder that accepts at most `per_second` requests a second and answers the rest 429 with an integer Retry-After, as Slack does."""

    def __init__(self, per_second: float, accepted: Reply = Reply()):
        self._interval = 1.0 / per_second
        self._accepted = accepted
        self._last_accepted: float | None = None
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        with self._lock:
            now = request.received_at
            if self._last_accepted is None or now - self._last_accepted >= self._interval:
                self._last_accepted = now
                return self._accepted
            wait = self._interval - (now - self._last_accepted)
        return Reply(429, "rate_limited", headers={"Retry-After": str(math.ceil(wait))})


@pytest.fixture()
def http_recorder():
    with RecordingServer() as server:
        yield server
