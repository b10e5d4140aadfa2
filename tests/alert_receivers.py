"""Real alert receivers on 127.0.0.1: a JSON webhook and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"
HANG = 0
"""A scripted answer: wait without answering until the receiver stops."""


@dataclass(frozen=True)
class Post:
    path: str
    headers: Mapping[str, str]
    body: bytes
    status: int  # what the receiver answered; HANG when it never did

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """Records every POST; answers 200 unless `script` says otherwise (500, HANG, ...)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: list[int] = []
        self._posts: list[Post] = []
        self.stopping = threading.Event()
        self._httpd = _Server(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def url(
        self, path: str = "/hook", *, scheme: str = "json", auth: str = "", query: str = ""
    ) -> str:
        """The apprise URL that posts here, e.g. json://127.0.0.1:PORT/hook."""
        userinfo = f"{auth}@" if auth else ""
        return f"{scheme}://{userinfo}{LOOPBACK}:{self._httpd.server_address[1]}{path}{query}"

    def script(self, *statuses: int) -> None:
        """Answer the next POSTs with these statuses in turn, then 200 again."""
        with self._lock:
            self._script = list(statuses)

    @property
    def posts(self) -> list[Post]:
        with self._lock:
            return list(self._posts)

    def delivered(self, path: str | None = None) -> list[Any]:
        """The JSON bodies of the posts answered 2xx (to `path`), oldest first."""
        return [
            post.json()
            for post in self.posts
            if 200 <= post.status < 300 and (path is None or post.path == path)
        ]

    def _next_status(self) -> int:
        with self._lock:
            return self._script.pop(0) if self._script else 200

    def _record(self, post: Post) -> None:
        with self._lock:
            self._posts.append(post)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, receiver: WebhookReceiver) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.receiver = receiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        receiver = self.server.receiver
        status = receiver._next_status()
        headers = {name.lower(): value for name, value in self.headers.items()}
        receiver._record(Post(self.path, headers, body, status))
        if status == HANG:
            receiver.stopping.wait()
            return
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


class SmtpReceiver:
    """An SMTP server on 127.0.0.1 (a free port) that keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._controller = _Controller(self, hostname=LOOPBACK, port=0)

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._controller.stop()

    def url(self, *, to: str = "me@example.org", sender: str = "tracker@example.org") -> str:
        return f"mailto://{LOOPBACK}:{self._controller.port}?from={sender}&to={to}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Bound to port 0: learn the real port before aiosmtpd connects to check it is up.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]
