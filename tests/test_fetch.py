"""The fetcher against a real local HTTP server that misbehaves on purpose.

Waits are recorded, never slept: the fetcher gets a virtual clock whose `sleep` only moves the
clock on. The jitter source always picks the top of its range, so expected waits are exact.
"""

from __future__ import annotations

import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.errors import BlockedError, FetchError, TrackerError, UserInputError
from tracker.fetch import Fetcher, OffHostRedirectError, decode_body, redact_url
from tracker.pageserver import PageServer, Response
from tracker.settings import FetchSettings

HTML = b"<!doctype html><html><body><p>hello</p></body></html>"


class VirtualClock:
    """A monotonic clock that only moves when `sleep` is called; records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


class TopOfRange(random.Random):
    """Jitter that always takes the largest value allowed."""

    def uniform(self, a: float, b: float) -> float:
        return b


MakeFetcher = Callable[..., Fetcher]

# Built once: a new TLS context (CA bundle loaded) per Fetcher costs ~40 ms, for nothing here.
TLS_CONTEXT = ssl.create_default_context()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every request on loopback even if the environment names a proxy."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def make_fetcher(
    fetch_settings: FetchSettings, clock: VirtualClock, page_server: PageServer
) -> Iterator[MakeFetcher]:
    """Build fetchers from `fetch_settings` plus overrides; `real_clock=True` for wall time."""
    fetchers: list[Fetcher] = []

    def make(*, real_clock: bool = False, **overrides: Any) -> Fetcher:
        settings = FetchSettings.model_validate(fetch_settings.model_dump() | overrides)
        fetcher = Fetcher(
            settings,
            transport=httpx.HTTPTransport(verify=TLS_CONTEXT),
            sleep=clock.sleep,
            clock=time.monotonic if real_clock else clock,
            rng=TopOfRange(),
        )
        fetchers.append(fetcher)
        return fetcher

    yield make
    for fetcher in fetchers:
        fetcher.close()


def closed_port_url() -> str:
    """A loopback URL nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/page"


# --- answers that succeed ---------------------------------------------------------------------


def test_plain_page(page_server: PageServer, make_fetcher: MakeFetcher) -> None:
    page_server.set("/page", Response(body=HTML, etag='"v1"', last_modified="Mon, 01 Jan 2024"))
    result = make_fetcher().fetch(page_server.url("/page"))
    assert (result.status, result.body, result.not_modified) == (200, HTML, False)
    assert result.url == page_server.url("/page")
    assert result.content_type == "text/html; charset=utf-8"
    assert (result.etag, result.last_modified) == ('"v1"', "Mon, 01 Jan 2024")
    assert "<p>hello</p>" in result.text


def test_user_agent_names_the_tool_and_no_validators_are_sent_unasked(
    page_server: PageServer, make_fetcher: MakeFetcher, fetch_settings: FetchSettings
) -> None:
    page_server.set("/page", Response(body=HTML))
    make_fetcher().fetch(page_server.url("/page"))
    [request] = page_server.requests
    assert request.headers["user-agent"] == fetch_settings.user_agent
    assert request.headers["user-agent"].startswith("tracker/")
    assert "if-none-match" not in request.headers
    assert "if-modified-since" not in request.headers


@pytest.mark.parametrize(
    ("field", "value", "header"),
    [
        pytest.param("etag", '"v1"', "if-none-match", id="etag"),
        pytest.param(
            "last_modified", "Mon, 01 Jan 2024 00:00:00 GMT", "if-modified-since", id="date"
        ),
    ],
)
def test_matching_validator_gives_not_modified(
    page_server: PageServer, make_fetcher: MakeFetcher, field: str, value: str, header: str
) -> None:
    validator: dict[str, Any] = {field: value}
    page_server.set("/page", Response(body=HTML, **validator))
    result = make_fetcher().fetch(page_server.url("/page"), **validator)
    assert (result.status, result.not_modified, result.body) == (304, True, b"")
    assert page_server.requests[0].headers[header] == value


def test_changed_page_is_sent_again(page_server: PageServer, make_fetcher: MakeFetcher) -> None:
    page_server.set("/page", Response(body=HTML, etag='"v2"'))
    result = make_fetcher().fetch(page_server.url("/page"), etag='"v1"')
    assert (result.status, result.not_modified, result.body) == (200, False, HTML)
    assert result.etag == '"v2"'


def test_gzip_body_is_decoded(page_server: PageServer, make_fetcher: MakeFetcher) -> None:
    page_server.set("/page", Response(body=HTML, gzip=True))
    assert make_fetcher().fetch(page_server.url("/page")).body == HTML


def test_empty_body_is_still_a_result(page_server: PageServer, make_fetcher: MakeFetcher) -> None:
    page_server.set("/page", Response(body=b""))
    result = make_fetcher().fetch(page_server.url("/page"))
    assert (result.status, result.body, result.text) == (200, b"", "")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xhtml+xml",
        "application/json; charset=utf-8",
        "application/ld+json",
        "application/xml",
        "application/atom+xml",
        None,
    ],
)
def test_text_content_types_are_accepted(
    page_server: PageServer, make_fetcher: MakeFetcher, content_type: str | None
) -> None:
    page_server.set("/page", Response(body=b"{}", content_type=content_type))
    assert make_fetcher().fetch(page_server.url("/page")).body == b"{}"


# --- retries and backoff ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "expected_sleeps"),
    [
        pytest.param(Response(status=503), [0.01], id="503-backoff"),
        pytest.param(Response(status=429, headers={"Retry-After": "3"}), [3.0], id="retry-after-3"),
        pytest.param(
            Response(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            [],  # a date in the past: retry at once
            id="retry-after-past-date",
        ),
        pytest.param(
            Response(status=503, headers={"Retry-After": "soon"}), [0.01], id="retry-after-bad"
        ),
        pytest.param(Response(body=HTML, reset_after=5), [0.01], id="reset-mid-body"),
    ],
)
def test_one_failure_then_success(
    page_server: PageServer,
    make_fetcher: MakeFetcher,
    clock: VirtualClock,
    first: Response,
    expected_sleeps: list[float],
) -> None:
    page_server.script("/page", [first, Response(body=HTML)])
    assert make_fetcher().fetch(page_server.url("/page")).body == HTML
    assert clock.sleeps == expected_sleeps
    assert len(page_server.requests) == 2


def test_backoff_doubles_up_to_its_cap(
    page_server: PageServer, make_fetcher: MakeFetcher, clock: VirtualClock
) -> None:
    page_server.set("/page", Response(status=500))
    fetcher = make_fetcher(retries=4, backoff_base=1.0, backoff_max=3.0)
    with pytest.raises(FetchError, match="500"):
        fetcher.fetch(page_server.url("/page"))
    assert clock.sleeps == [1.0, 2.0, 3.0, 3.0]
    assert len(page_server.requests) == 5


def test_backoff_is_jittered_below_the_ceiling(
    page_server: PageServer, fetch_settings: FetchSettings, clock: VirtualClock
) -> None:
    page_server.set("/page", Response(status=500))
    fetcher = Fetcher(fetch_settings, sleep=clock.sleep, clock=clock, rng=random.Random(7))
    with fetcher, pytest.raises(FetchError):
        fetcher.fetch(page_server.url("/page"))
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 0.01
    assert 0 <= clock.sleeps[1] <= 0.02


# --- failures ---------------------------------------------------------------------------------

FAILURES = [
    # (responses, setting overrides, error type, message pattern, requests made)
    pytest.param(
        [Response(status=404)], {}, FetchError, "answered 404 Not Found$", 1, id="404-no-retry"
    ),
    pytest.param([Response(status=410)], {}, FetchError, "answered 410 Gone$", 1, id="410"),
    pytest.param([Response(status=403)], {}, BlockedError, "answered 403 Forbidden", 1, id="403"),
    pytest.param(
        [Response(status=500)], {}, FetchError, r"answered 500 .*after 3 attempts", 3, id="500"
    ),
    pytest.param(
        [Response(status=429)], {}, BlockedError, r"^rate limited by 127\.0\.0\.1", 3, id="429"
    ),
    pytest.param(
        [Response(status=429, headers={"Retry-After": "3600"})],
        {"max_retry_after": 300},
        BlockedError,
        r"wait 3600 s, more than max_retry_after \(300 s\); try again after 2\d{3}-",
        1,
        id="retry-after-over-cap",
    ),
    pytest.param(
        [Response(status=503, headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"})],
        {},
        FetchError,
        "try again after 2100-01-01 00:00:00 UTC",
        1,
        id="retry-after-date-over-cap",
    ),
    pytest.param(
        [Response(body=HTML, reset_after=5)], {}, FetchError, "connection broke", 3, id="reset"
    ),
    pytest.param(
        [Response(body=HTML, declared_length=len(HTML) * 2)],
        {},
        FetchError,
        "connection broke",
        3,
        id="truncated-body",
    ),
    pytest.param(
        [Response(body=HTML, delay=10)],
        {"read_timeout": 0.2, "retries": 0},
        FetchError,
        r"timed out after 0\.2 s \(gave up after 1 attempt\)",
        1,
        id="read-timeout",
    ),
    pytest.param(
        [Response(body=b"x" * 5000)],
        {"max_body_bytes": 1000},
        FetchError,
        "declares a body of 5000 bytes, over the limit of 1000 bytes",
        1,
        id="declared-too-large",
    ),
    pytest.param(
        [Response(body=b"\x89PNG\r\n", content_type="image/png")],
        {},
        FetchError,
        "unexpected content type 'image/png'",
        1,
        id="not-text",
    ),
]


@pytest.mark.parametrize(("responses", "overrides", "error", "message", "requests"), FAILURES)
def test_failures(
    page_server: PageServer,
    make_fetcher: MakeFetcher,
    responses: list[Response],
    overrides: dict[str, Any],
    error: type[FetchError],
    message: str,
    requests: int,
) -> None:
    page_server.script("/page", responses)
    with pytest.raises(FetchError, match=message) as caught:
        make_fetcher(**overrides).fetch(page_server.url("/page"))
    assert caught.type is error
    assert len(page_server.requests) == requests


def test_connection_refused(make_fetcher: MakeFetcher, clock: VirtualClock) -> None:
    with pytest.raises(FetchError, match=r"^could not connect to 127\.0\.0\.1: ") as caught:
        make_fetcher().fetch(closed_port_url())
    assert caught.type is FetchError
    assert clock.sleeps == [0.01, 0.02]


def test_trickle_is_cut_off_at_the_total_cap(
    page_server: PageServer, make_fetcher: MakeFetcher
) -> None:
    page_server.set("/page", Response(trickle=0.02))
    fetcher = make_fetcher(real_clock=True, total_timeout=0.3, retries=0)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0\.3 s"):
        fetcher.fetch(page_server.url("/page"))
    assert time.monotonic() - started < 1.0


def test_gzip_bomb_is_stopped_at_the_cap(
    page_server: PageServer, make_fetcher: MakeFetcher
) -> None:
    page_server.set("/page", Response(body=bytes(20_000_000), gzip=True))
    with pytest.raises(FetchError, match="sent a body over the limit of 1000000 bytes"):
        make_fetcher(max_body_bytes=1_000_000).fetch(page_server.url("/page"))


# --- redirects --------------------------------------------------------------------------------


def redirect(location: str, status: int = 302) -> Response:
    return Response(status=status, redirect_to=location)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_on_the_same_host_is_followed(
    page_server: PageServer, make_fetcher: MakeFetcher, status: int
) -> None:
    page_server.set("/old", redirect("/new", status))
    page_server.set("/new", Response(body=HTML))
    result = make_fetcher().fetch(page_server.url("/old"))
    assert (result.url, result.body) == (page_server.url("/new"), HTML)
    assert [request.path for request in page_server.requests] == ["/old", "/new"]


def test_redirect_loop(page_server: PageServer, make_fetcher: MakeFetcher) -> None:
    page_server.set("/a", redirect("/b"))
    page_server.set("/b", redirect("/a"))
    with pytest.raises(FetchError, match="redirect loop"):
        make_fetcher().fetch(page_server.url("/a"))


def test_too_many_redirects(page_server: PageServer, make_fetcher: MakeFetcher) -> None:
    for hop in range(5):
        page_server.set(f"/{hop}", redirect(f"/{hop + 1}"))
    with pytest.raises(FetchError, match="redirected more than 2 times"):
        make_fetcher(max_redirects=2).fetch(page_server.url("/0"))
    assert len(page_server.requests) == 3


def test_redirect_to_another_host_is_refused(
    page_server: PageServer, make_fetcher: MakeFetcher
) -> None:
    page_server.set("/page", redirect(page_server.url("/login?next=%2Fpage", host="localhost")))
    with pytest.raises(
        OffHostRedirectError, match=r"redirected off 127\.0\.0\.1 to localhost; not followed"
    ) as caught:
        make_fetcher().fetch(page_server.url("/page"))
    assert caught.value.redirect_target == page_server.url("/login", host="localhost")


def test_redirect_to_another_host_when_allowed(
    page_server: PageServer, make_fetcher: MakeFetcher
) -> None:
    page_server.set("/page", redirect(page_server.url("/moved", host="localhost")))
    page_server.set("/moved", Response(body=HTML))
    fetcher = make_fetcher(allow_cross_host_redirects=True)
    result = fetcher.fetch(page_server.url("/page"), headers={"Authorization": "Bearer t"})
    assert (result.url, result.body) == (page_server.url("/moved", host="localhost"), HTML)
    first, second = page_server.requests
    assert "authorization" in first.headers
    assert "authorization" not in second.headers  # the caller's headers stay with their host


@pytest.mark.parametrize("location", ["ftp://127.0.0.1/page", "file:///etc/passwd"])
def test_redirect_to_another_scheme_is_refused(
    page_server: PageServer, make_fetcher: MakeFetcher, location: str
) -> None:
    page_server.set("/page", redirect(location))
    with pytest.raises(FetchError, match="not followed"):
        make_fetcher().fetch(page_server.url("/page"))


# --- what may be fetched ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/page",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "127.0.0.1/page",
        "http:///page",
        "http://[::1/page",
        "",
    ],
)
def test_only_http_urls_with_a_host(make_fetcher: MakeFetcher, url: str) -> None:
    with pytest.raises(UserInputError):
        make_fetcher().fetch(url)


# --- decoding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        pytest.param(
            b"caf\xe9 \xff", "text/html; charset=utf-8", "caf\ufffd \ufffd", id="bad-utf8"
        ),
        pytest.param("café".encode(), "text/html; charset=iso-8859-1", "cafÃ©", id="wrong-charset"),
    ],
)
def test_text_through_the_server(
    page_server: PageServer, make_fetcher: MakeFetcher, body: bytes, content_type: str, text: str
) -> None:
    page_server.set("/page", Response(body=body, content_type=content_type))
    assert make_fetcher().fetch(page_server.url("/page")).text == text


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        pytest.param("café".encode(), "text/html", "café", id="default-utf8"),
        pytest.param(b"caf\xe9", "text/html; charset=windows-1252", "café", id="header"),
        pytest.param(b'<meta charset="windows-1252">caf\xe9', "text/html", "café", id="meta"),
        pytest.param(
            b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">caf\xe9',
            None,
            "café",
            id="http-equiv",
        ),
        pytest.param(
            b'<meta charset="utf-8">caf\xe9', "text/html; charset=latin-1", "café", id="header-wins"
        ),
        pytest.param(b"\xef\xbb\xbfcaf\xc3\xa9", "text/html; charset=latin-1", "café", id="bom"),
        pytest.param(b"caf\xc3\xa9", "text/html; charset=x-no-such", "café", id="unknown"),
        pytest.param(b"caf\xc3\xa9", "text/html; charset=base64", "café", id="not-a-text-codec"),
        pytest.param(b"caf\xc3\xa9", "text/html; charset=idna", "café", id="no-replace-support"),
    ],
)
def test_decode_body(body: bytes, content_type: str | None, text: str) -> None:
    assert decode_body(body, content_type).endswith(text)


@given(body=st.binary(max_size=200), charset=st.text(max_size=20))
def test_decode_body_never_raises(body: bytes, charset: str) -> None:
    decode_body(body, f"text/html; charset={charset}")


# --- secrets ----------------------------------------------------------------------------------

SECRET = "s3cr3t-k3y"


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(Response(status=404), id="404"),
        pytest.param(Response(status=500), id="500"),
        pytest.param(Response(status=429), id="429"),
        pytest.param(Response(status=429, headers={"Retry-After": "9999"}), id="retry-after"),
        pytest.param(Response(body=HTML, delay=10), id="timeout"),
        pytest.param(Response(body=HTML, reset_after=3), id="reset"),
        pytest.param(Response(body=b"x" * 5000), id="too-large"),
        pytest.param(Response(content_type="image/png"), id="not-text"),
        pytest.param(redirect("/page"), id="loop"),
        pytest.param(redirect("ftp://127.0.0.1/x?key=" + SECRET), id="bad-scheme"),
    ],
)
def test_secrets_never_reach_error_messages(
    page_server: PageServer, make_fetcher: MakeFetcher, response: Response
) -> None:
    page_server.set("/page", response)
    url = page_server.url(f"/page?api_key={SECRET}").replace("//", f"//me:{SECRET}@", 1)
    fetcher = make_fetcher(read_timeout=0.2, retries=0, max_body_bytes=1000)
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(url, headers={"Authorization": f"Bearer {SECRET}"})
    assert SECRET not in caught.value.one_line()
    assert "127.0.0.1" in str(caught.value)


@pytest.mark.parametrize(
    "failing_url",
    [
        pytest.param("{closed}?token=" + SECRET, id="refused"),
        pytest.param(f"ftp://me:{SECRET}@127.0.0.1/x?token={SECRET}", id="user-input"),
    ],
)
def test_secrets_never_reach_messages_without_a_server(
    make_fetcher: MakeFetcher, failing_url: str
) -> None:
    with pytest.raises(TrackerError) as caught:
        make_fetcher(retries=0).fetch(failing_url.format(closed=closed_port_url()))
    assert SECRET not in caught.value.one_line()


def test_secrets_never_reach_the_redirect_target(
    page_server: PageServer, make_fetcher: MakeFetcher
) -> None:
    page_server.set("/page", redirect(page_server.url(f"/x?token={SECRET}", host="localhost")))
    with pytest.raises(OffHostRedirectError) as caught:
        make_fetcher().fetch(page_server.url("/page"))
    assert SECRET not in caught.value.one_line() + caught.value.redirect_target


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://me:pw@example.org:8443/a/b?key=1#top", "https://example.org:8443/a/b"),
        ("http://example.org/", "http://example.org/"),
        ("http://[::1]:80/x?y", "http://[::1]:80/x"),
        ("not a url?key=1", "not a url"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


# --- politeness -------------------------------------------------------------------------------


def test_politeness_delay_between_requests_to_one_host(
    page_server: PageServer, make_fetcher: MakeFetcher, clock: VirtualClock
) -> None:
    page_server.set("/page", Response(body=HTML))
    fetcher = make_fetcher(politeness_delay=2.0)
    fetcher.fetch(page_server.url("/page"))
    fetcher.fetch(page_server.url("/page"))
    assert clock.sleeps == [2.5]  # 2 s plus the full 25 % jitter


def test_politeness_is_per_host(
    page_server: PageServer, make_fetcher: MakeFetcher, clock: VirtualClock
) -> None:
    page_server.set("/page", Response(body=HTML))
    fetcher = make_fetcher(politeness_delay=2.0)
    fetcher.fetch(page_server.url("/page"))
    fetcher.fetch(page_server.url("/page", host="localhost"))
    assert clock.sleeps == []


def test_politeness_is_shared_by_threads(
    page_server: PageServer, make_fetcher: MakeFetcher, clock: VirtualClock
) -> None:
    page_server.set("/page", Response(body=HTML))
    fetcher = make_fetcher(politeness_delay=1.0)
    threads = [
        threading.Thread(target=fetcher.fetch, args=(page_server.url("/page"),)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.sleeps == [1.25, 1.25, 1.25]
    assert len(page_server.requests) == 4
