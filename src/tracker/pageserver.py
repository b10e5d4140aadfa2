"""A small threaded HTTP server on 127.0.0.1 that serves canned pages and misbehaves on request.

The tests use it to hit real sockets with real faults; the offline demo uses it to serve saved
pages. It answers GET and HEAD, speaks HTTP/1.0 (one request per connection) and logs nothing.
"""

from __future__ import annotations

import gzip
import socket
import struct
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

__all__ = ["PageServer", "RecordedRequest", "Response"]

LOOPBACK = "127.0.0.1"
_POLL_INTERVAL = 0.02  # how quickly shutdown() is noticed by the serving thread
_HANDLER_SOCKET_TIMEOUT = 10.0  # a silent client cannot hold a handler thread for longer


@dataclass(frozen=True)
class Response:
    """What the server answers to one request; the last group of fields misbehaves on purpose.

    `etag` / `last_modified` make the server answer 304 (no body) to a request whose
    If-None-Match / If-Modified-Since matches. `redirect_to` sets Location (pair it with a 3xx).
    """

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    redirect_to: str | None = None
    gzip: bool = False
    # Faults:
    delay: float = 0.0
    """Seconds to wait before answering; released at once when the server stops."""
    trickle: float | None = None
    """Seconds between single bytes of a body sent forever, until the client hangs up."""
    reset_after: int | None = None
    """Send this many body bytes, then reset the connection (RST, not a clean close)."""
    declared_length: int | None = None
    """A Content-Length to claim instead of the real one, e.g. to truncate the body."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it; header names are lower-cased."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]


_NOT_FOUND = Response(status=404, body=b"not found", content_type="text/plain; charset=utf-8")


class PageServer:
    """Serves canned `Response`s on 127.0.0.1 from a daemon thread; use it as a context manager."""

    def __init__(self) -> None:
        self._routes = _Routes()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve from a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("the page server is already running")
        self._httpd = _Server(self._routes)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name=f"PageServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release delayed and trickling answers, stop serving and close the socket."""
        if self._httpd is None or self._thread is None:
            return
        self._httpd.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = None
        self._thread = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the page server is not running; use it as a context manager")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def url(self, path: str = "/", *, host: str = LOOPBACK) -> str:
        """The URL of `path`; `host` may be another loopback name for this server ("localhost")."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        return f"http://{host}:{self.port}{path}"

    def set(self, path: str, response: Response) -> None:
        """Answer every request for `path` with `response`."""
        self._routes.script(path, [response])

    def script(self, path: str, responses: Iterable[Response]) -> None:
        """Answer requests for `path` with `responses` in turn; the last one repeats."""
        self._routes.script(path, responses)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        return self._routes.requests()


class _Routes:
    """The scripted answers and the request log, shared by the handler threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, list[Response]] = {}
        self._log: list[RecordedRequest] = []

    def script(self, path: str, responses: Iterable[Response]) -> None:
        script = list(responses)
        if not script:
            raise ValueError("a script needs at least one response")
        with self._lock:
            self._scripts[path] = script

    def answer(self, request: RecordedRequest) -> Response:
        """Log `request` and take the next response scripted for its path."""
        with self._lock:
            self._log.append(request)
            script = self._scripts.get(request.path)
            if not script:
                return _NOT_FOUND
            return script.pop(0) if len(script) > 1 else script[0]

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: _Routes) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.routes = routes
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer is what the faults are for; anything else is a bug.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = _HANDLER_SOCKET_TIMEOUT

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _answer(self, *, send_body: bool) -> None:
        target = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.server.routes.answer(
            RecordedRequest(self.command, target.path, target.query, headers)
        )
        if response.delay and self.server.stopping.wait(response.delay):
            return
        if _not_modified(response, self.headers):
            self._send_head(304, _validator_headers(response))
            return
        body = gzip.compress(response.body, mtime=0) if response.gzip else response.body
        self._send_head(response.status, _headers(response, body))
        if not send_body:
            return
        if response.trickle is not None:
            self._trickle(response.trickle)
        elif response.reset_after is not None:
            self._reset_after(body[: response.reset_after])
        else:
            self.wfile.write(body)

    def _send_head(self, status: int, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _trickle(self, interval: float) -> None:
        while not self.server.stopping.wait(interval):
            self.wfile.write(b".")  # raises once the client has hung up

    def _reset_after(self, head: bytes) -> None:
        self.wfile.write(head)
        # A zero linger time makes close() send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # rfile holds a reference to the socket; close() only acts on the last
        self.connection.close()


def _not_modified(response: Response, request_headers: Message) -> bool:
    """Whether the request's validators match, so a 304 is due (If-None-Match wins)."""
    if response.status != 200:
        return False
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return response.etag is not None and ("*" in tags or response.etag in tags)
    since = request_headers.get("If-Modified-Since")
    return since is not None and since == response.last_modified


def _validator_headers(response: Response) -> dict[str, str]:
    headers: dict[str, str] = {}
    if response.etag is not None:
        headers["ETag"] = response.etag
    if response.last_modified is not None:
        headers["Last-Modified"] = response.last_modified
    return headers


def _headers(response: Response, body: bytes) -> dict[str, str]:
    headers = _validator_headers(response)
    if response.content_type is not None:
        headers["Content-Type"] = response.content_type
    if response.trickle is None:  # a trickle has no end, so no length
        length = len(body) if response.declared_length is None else response.declared_length
        headers["Content-Length"] = str(length)
    if response.gzip:
        headers["Content-Encoding"] = "gzip"
    if response.redirect_to is not None:
        headers["Location"] = response.redirect_to
    headers.update(response.headers)
    return headers
