"""Fetch pages politely: timeouts, retries with backoff, body caps and our own redirect handling.

Errors (from `tracker.errors`, plus one subclass here):

FetchError                 unreachable, timed out, HTTP error, too large, not a text page
 ├── BlockedError          429 after the retries, or 403
 └── OffHostRedirectError  a redirect to another host, not followed (sign-in walls look like this)
UserInputError             the URL given is not an http(s) URL with a host

No message ever contains a query string, userinfo or a header value: URLs go through `redact_url`.
"""

from __future__ import annotations

import codecs
import logging
import random
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit, urlunsplit

import httpx

from tracker.errors import BlockedError, FetchError, UserInputError
from tracker.settings import FetchSettings

__all__ = [
    "FetchResult",
    "Fetcher",
    "OffHostRedirectError",
    "decode_body",
    "redact_url",
]

_SCHEMES = ("http", "https")
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS = frozenset({301, 308})
_TEXT_TYPES = frozenset({"application/json", "application/xml"})
_TEXT_SUFFIXES = ("+json", "+xml")  # xhtml+xml, atom+xml, rss+xml, ld+json...
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_ACCEPT_ENCODING = "gzip, deflate"  # what `_inflater` can undo
_POLITENESS_JITTER = 0.25
_META_SCAN_BYTES = 2048
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class OffHostRedirectError(FetchError):
    """A redirect to another host, which was not followed."""

    def __init__(self, message: str, *, redirect_target: str) -> None:
        super().__init__(message)
        self.redirect_target = redirect_target
        """Where the redirect pointed, redacted like every URL in messages."""


class _RedactedRequestLog(logging.Filter):
    """httpx logs every request's URL at INFO, query string (API keys) and all: not ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_url(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_RedactedRequestLog())
# httpcore's DEBUG trace prints raw response headers: a Location or a cookie may carry a key.
logging.getLogger("httpcore").setLevel(logging.INFO)


@dataclass(frozen=True)
class FetchResult:
    """A fetched page; on 304 `not_modified` is set and `body` is empty."""

    url: str
    """The final URL, after redirects."""
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool = False
    moved_permanently: bool = False
    """Every redirect on the way was permanent (301/308): `url` is the page's new address."""

    @property
    def text(self) -> str:
        return decode_body(self.body, self.content_type)


def redact_url(url: str) -> str:
    """The URL without userinfo, query or fragment: safe to put in messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def decode_body(body: bytes, content_type: str | None) -> str:
    """The body as text: BOM, else Content-Type charset, else <meta> charset, else UTF-8.

    Never raises: undecodable bytes become U+FFFD and an unknown charset means UTF-8.
    When the header and the <meta> disagree and one of them says UTF-8, the bytes decide:
    a server's default charset (often ISO-8859-1) must not garble a page that says and is
    UTF-8, or report its non-ASCII titles as changed.
    """
    charset = _bom_charset(body) or _declared_charset(body, content_type)
    if charset is not None:
        try:
            return body.decode(charset, errors="replace")
        except (LookupError, ValueError):  # unknown or not a text codec, or no "replace" support
            pass
    return body.decode("utf-8", errors="replace")


def _bom_charset(body: bytes) -> str | None:
    return next((name for bom, name in _BOMS if body.startswith(bom)), None)


def _declared_charset(body: bytes, content_type: str | None) -> str | None:
    header, meta = _header_charset(content_type), _meta_charset(body)
    if header is None or meta is None:
        return header or meta
    header_utf8, meta_utf8 = _is_utf8_name(header), _is_utf8_name(meta)
    if header_utf8 == meta_utf8:
        return header
    if _is_utf8(body):
        return header if header_utf8 else meta
    return meta if header_utf8 else header


def _is_utf8_name(charset: str) -> bool:
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _header_charset(content_type: str | None) -> str | None:
    match = _CHARSET_PARAM.search(content_type or "")
    return match.group(1) if match else None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    return match.group(1).decode("ascii") if match else None


def _is_text(content_type: str) -> bool:
    mime = content_type.partition(";")[0].strip().lower()
    return (
        mime.startswith("text/")
        or mime in _TEXT_TYPES
        or (mime.startswith("application/") and mime.endswith(_TEXT_SUFFIXES))
    )


def check_url(url: str) -> httpx.URL:
    """The URL parsed, or UserInputError if it is not an http(s) URL with a host."""
    shown = redact_url(url)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise UserInputError(f"not a valid URL: {shown!r}") from None
    if parsed.scheme not in _SCHEMES:
        raise UserInputError(
            f"only http and https URLs can be fetched, not {shown!r}",
            hint="give the full address, starting with https://",
        )
    if not parsed.host:
        raise UserInputError(f"URL has no host: {shown!r}")
    return parsed


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After (delta seconds or an HTTP date) in seconds from now; None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _content_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _inflater(response: httpx.Response, shown_url: str) -> zlib._Decompress | None:
    """A decompressor for the response's Content-Encoding; None when it is not encoded."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # 32: accept gzip or zlib headers
    raise FetchError(f"{shown_url} sent an unsupported Content-Encoding: {encoding!r}")


@dataclass(frozen=True)
class _Redirect:
    status: int
    location: str | None


class _Retryable(Exception):
    """A failure worth another try; `error_type(message)` is raised once the tries run out."""

    def __init__(
        self, error_type: type[FetchError], message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.retry_after = retry_after


@dataclass
class _HostGate:
    """One request at a time per host, and when the last one started."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    last_start: float | None = None


class Fetcher:
    """Fetches pages with retries, caps and politeness; share one across threads.

    `sleep`, `clock` and `rng` are injectable so tests can record waits instead of waiting.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._gates: dict[str, _HostGate] = {}
        self._gates_lock = threading.Lock()
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,  # we follow them, to check scheme, host and count
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout,
            ),
            headers={
                "User-Agent": settings.user_agent,
                "Accept": _ACCEPT,
                "Accept-Encoding": _ACCEPT_ENCODING,
            },
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
        sign: Callable[[str], str] | None = None,
    ) -> FetchResult:
        """GET `url`, conditionally when `etag` or `last_modified` is given.

        `headers` go with every request to the first host, and `sign` (adding an API key to
        the query, say) is applied to each of them, redirects on that host included.
        """
        current = check_url(url)
        request_headers = dict(headers or {})
        if etag is not None:
            request_headers["If-None-Match"] = etag
        if last_modified is not None:
            request_headers["If-Modified-Since"] = last_modified
        seen = {str(current)}
        permanent: bool | None = None  # None until a redirect happens
        for _ in range(self._settings.max_redirects + 1):
            requested = check_url(sign(str(current))) if sign else current
            outcome = self._fetch_with_retries(requested, request_headers)
            if isinstance(outcome, FetchResult):
                return replace(outcome, url=str(current), moved_permanently=bool(permanent))
            permanent = (permanent is not False) and outcome.status in _PERMANENT_REDIRECTS
            target = self._redirect_target(current, outcome, seen)
            if target.host != current.host:
                # the caller's headers and signature may hold credentials for the first host
                request_headers, sign = {}, None
            current = target
        raise FetchError(
            f"{redact_url(url)} redirected more than {self._settings.max_redirects} times; gave up"
        )

    def _fetch_with_retries(
        self, url: httpx.URL, headers: Mapping[str, str]
    ) -> FetchResult | _Redirect:
        attempt = 0
        while True:
            try:
                return self._attempt(url, headers)
            except _Retryable as failure:
                if attempt >= self._settings.retries:
                    tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                    raise failure.error_type(
                        f"{failure.message} (gave up after {tries})"
                    ) from failure.__cause__
                self._pause(self._retry_delay(attempt, failure.retry_after))
                attempt += 1

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        """The server's Retry-After if it gave one, else exponential backoff with full jitter."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self._settings.backoff_max, self._settings.backoff_base * 2**attempt)
        return self._rng.uniform(0, ceiling)

    def _attempt(self, url: httpx.URL, headers: Mapping[str, str]) -> FetchResult | _Redirect:
        shown = redact_url(str(url))
        with self._turn(url.host):
            deadline = self._clock() + self._settings.total_timeout
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    return self._handle(url, response, deadline)
            except httpx.TimeoutException as exc:
                seconds = (
                    self._settings.connect_timeout
                    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                    else self._settings.read_timeout
                )
                raise _Retryable(
                    FetchError, f"fetching {shown} timed out after {seconds} s"
                ) from exc
            except httpx.InvalidURL:
                # httpx builds the next request of every redirect, even unfollowed: a Location
                # such as `javascript:alert(1)` fails there, before we can look at it.
                raise FetchError(f"{shown} redirected to an invalid URL; not followed") from None
            except httpx.ConnectError as exc:
                raise _Retryable(
                    FetchError, f"could not connect to {url.host}: {_reason(exc)}"
                ) from exc
            except httpx.TransportError as exc:
                raise _Retryable(
                    FetchError, f"the connection broke while fetching {shown}: {_reason(exc)}"
                ) from exc

    @contextmanager
    def _turn(self, host: str) -> Iterator[None]:
        """Hold the host's only slot, once the politeness delay since its last start is over."""
        with self._gates_lock:
            gate = self._gates.setdefault(host, _HostGate())
        with gate.lock:
            delay = self._settings.delay_for(host)
            if gate.last_start is not None and delay > 0:
                gap = delay + self._rng.uniform(0, delay * _POLITENESS_JITTER)
                self._pause(gate.last_start + gap - self._clock())
            gate.last_start = self._clock()
            yield

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)

    def _handle(
        self, url: httpx.URL, response: httpx.Response, deadline: float
    ) -> FetchResult | _Redirect:
        status = response.status_code
        shown = redact_url(str(url))
        if status in _REDIRECT_STATUSES:
            return _Redirect(status, response.headers.get("Location"))
        if status == 304:
            return _result(url, response, b"", not_modified=True)
        if status == 429 or status >= 500:
            raise self._retryable_status(url, response)
        if status == 403:
            raise BlockedError(f"{shown} answered 403 {response.reason_phrase}")
        if status >= 300:
            raise FetchError(f"{shown} answered {status} {response.reason_phrase}")
        content_type = response.headers.get("Content-Type")
        if content_type and not _is_text(content_type):
            mime = content_type.partition(";")[0].strip()
            raise FetchError(f"unexpected content type {mime!r} from {shown}; expected a page")
        return _result(url, response, self._read_body(url, response, deadline))

    def _retryable_status(self, url: httpx.URL, response: httpx.Response) -> _Retryable:
        """A 429 or 5xx to retry, or raise at once if the server wants us away for too long."""
        shown = redact_url(str(url))
        status = response.status_code
        if status == 429:
            error_type: type[FetchError] = BlockedError
            what = f"rate limited by {url.host}: {shown} answered 429 {response.reason_phrase}"
        else:
            error_type = FetchError
            what = f"{shown} answered {status} {response.reason_phrase}"
        retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
        cap = self._settings.max_retry_after
        if retry_after is not None and retry_after > cap:
            when = datetime.now(UTC) + timedelta(seconds=retry_after)
            raise error_type(
                f"{what} and asked us to wait {retry_after:.0f} s, more than max_retry_after"
                f" ({cap:g} s); try again after {when:%Y-%m-%d %H:%M:%S} UTC"
            )
        return _Retryable(error_type, what, retry_after=retry_after)

    def _read_body(self, url: httpx.URL, response: httpx.Response, deadline: float) -> bytes:
        """The decoded body, stopped at `max_body_bytes` and at the total time cap."""
        shown = redact_url(str(url))
        limit = self._settings.max_body_bytes
        declared = _content_length(response)
        if declared is not None and declared > limit:
            raise FetchError(
                f"{shown} declares a body of {declared} bytes, over the limit of {limit} bytes"
                " (max_body_bytes)"
            )
        inflater = _inflater(response, shown)
        parts: list[bytes] = []
        size = 0
        try:
            for raw in response.iter_raw():
                if self._clock() > deadline:
                    raise _Retryable(
                        FetchError,
                        f"fetching {shown} timed out after {self._settings.total_timeout} s",
                    )
                # Inflating at most one byte past the limit keeps a gzip bomb from filling memory.
                chunk = raw if inflater is None else inflater.decompress(raw, limit - size + 1)
                size += len(chunk)
                if size > limit:
                    raise FetchError(
                        f"{shown} sent a body over the limit of {limit} bytes (max_body_bytes)"
                    )
                parts.append(chunk)
            if inflater is not None:
                parts.append(inflater.flush())
        except zlib.error as exc:
            raise FetchError(f"could not decompress the body of {shown}: {exc}") from exc
        return b"".join(parts)

    def _redirect_target(
        self, current: httpx.URL, redirect: _Redirect, seen: set[str]
    ) -> httpx.URL:
        """Where to go next, or FetchError if the redirect must not be followed."""
        shown = redact_url(str(current))
        if not redirect.location:
            raise FetchError(f"{shown} answered {redirect.status} without a Location")
        try:
            target = current.join(redirect.location)
        except httpx.InvalidURL:
            raise FetchError(f"{shown} redirected to an invalid URL") from None
        shown_target = redact_url(str(target))
        if target.scheme not in _SCHEMES:
            raise FetchError(f"{shown} redirected to a {target.scheme}: URL; not followed")
        if target.host != current.host and not self._settings.allow_cross_host_redirects:
            raise OffHostRedirectError(
                f"{shown} redirected off {current.host} to {target.host}; not followed",
                redirect_target=shown_target,
            )
        if str(target) in seen:
            raise FetchError(f"redirect loop: {shown} redirected back to {shown_target}")
        seen.add(str(target))
        return target


def _result(
    url: httpx.URL, response: httpx.Response, body: bytes, *, not_modified: bool = False
) -> FetchResult:
    return FetchResult(
        url=str(url),
        status=response.status_code,
        body=body,
        content_type=response.headers.get("Content-Type"),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        not_modified=not_modified,
    )


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
