"""`Syncer.sync` against local servers that imitate Google Scholar, OpenAlex and Semantic Scholar.

The sources ask for their real URLs; `LoopbackTransport` sends every request to the local page
server over a real socket (see `tests/loopback.py` for how URLs map to routes). Pages are the
saved ones in `tests/fixtures/`, or built from them. Waits are recorded on a virtual clock,
never slept; each test has its own DuckDB file and archive under `tmp_path`.
"""

from __future__ import annotations

import functools
import gzip
import json
import random
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr

from loopback import LoopbackTransport, asked, route
from tracker.archive import Archive
from tracker.changes import Change, ChangeKind
from tracker.cli import main
from tracker.credentials import Credentials
from tracker.fetch import Fetcher
from tracker.pages import BUNDLE_CONTENT_TYPE
from tracker.pageserver import PageServer, Response
from tracker.records import ProfileRecord
from tracker.settings import FetchSettings
from tracker.sources import semantic_scholar
from tracker.store import FetchStatus, Profile, Store
from tracker.sync import Syncer, SyncResult

FIXTURES = Path(__file__).parent / "fixtures"
START = datetime(2026, 2, 16, 18, tzinfo=UTC)
PROFILE = "p"
SETTINGS = FetchSettings(
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=5.0,
    retries=2,
    backoff_base=0.01,
    politeness_delay=0.0,  # only the default host_delays (Scholar: 8 s) make the fetcher wait
)
HTML = "text/html; charset=utf-8"
JSON = "application/json"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


class VirtualClock:
    """A monotonic clock that moves only when the fetcher sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class LargestJitter(random.Random):
    """Jitter that always takes the largest value allowed, so waits are exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


@dataclass
class Tracker:
    """One profile in a real DuckDB file, synced through the loopback transport a day apart."""

    store: Store
    archive: Archive
    server: PageServer
    waits: VirtualClock
    fetcher: Fetcher
    credentials: Credentials
    day: datetime = START

    @property
    def syncer(self) -> Syncer:
        return Syncer(self.store, self.fetcher, self.archive, lambda: self.day, self.credentials)

    def follow(self, url: str, source: str) -> None:
        self.store.add_profile(Profile(id=PROFILE, url=url, source=source, added_at=START))

    def sync(self) -> SyncResult:
        self.day += timedelta(days=1)
        return self.syncer.sync(self.store.start_run(self.day), PROFILE)

    def asked(self) -> list[str]:
        return [asked(request) for request in self.server.requests]

    def fetch_rows(self) -> list[tuple[Any, ...]]:
        return self.store.query(
            "SELECT status, http_status, content_sha256, content_type, reason FROM fetches"
            " ORDER BY id"
        )

    def counts(self) -> dict[str, int]:
        tables = ("fetches", "metric_observations", "papers", "changes")
        return {t: self.store.query(f"SELECT count(*) FROM {t}")[0][0] for t in tables}

    def manifest(self) -> list[dict[str, Any]]:
        [(digest, content_type)] = self.store.query(
            "SELECT content_sha256, content_type FROM fetches"
            " WHERE status IN ('baseline', 'changed', 'unchanged') ORDER BY id DESC LIMIT 1"
        )
        assert content_type == BUNDLE_CONTENT_TYPE
        assert self.store.profile(PROFILE).content_sha256 == digest
        manifest: list[dict[str, Any]] = json.loads(self.archive.get(digest))
        return manifest

    def record(self) -> ProfileRecord:
        record = self.store.current_record(PROFILE)
        assert record is not None
        return record


MakeTracker = Callable[..., Tracker]


@pytest.fixture
def make_tracker(tmp_path: Path, page_server: PageServer) -> Iterator[MakeTracker]:
    with ExitStack() as stack:

        def make(credentials: Credentials | None = None) -> Tracker:
            waits = VirtualClock()
            fetcher = Fetcher(
                SETTINGS,
                transport=LoopbackTransport(page_server),
                sleep=waits.sleep,
                clock=waits,
                rng=LargestJitter(),
            )
            stack.enter_context(fetcher)
            store = stack.enter_context(Store.open(tmp_path / "tracker.duckdb"))
            archive = Archive(tmp_path / "archive")
            return Tracker(
                store, archive, page_server, waits, fetcher, credentials or Credentials()
            )

        yield make


@pytest.fixture
def tracker(make_tracker: MakeTracker) -> Tracker:
    return make_tracker()


def serve(server: PageServer, url: str, *responses: Response) -> None:
    """Answer requests for `url` with `responses` in turn (the last one repeats)."""
    server.script(route(url), responses)


def page(text: str, content_type: str = HTML) -> Response:
    return Response(body=text.encode(), content_type=content_type)


def json_page(data: object) -> Response:
    return page(json.dumps(data), JSON)


def secrets_left(tracker: Tracker, secret: str) -> list[str]:
    """Where `secret` shows up in the archive (decompressed) or in any table of the database."""
    archived = sorted(tracker.archive.root.rglob("*.gz"))
    assert archived, "nothing was archived: the search would prove nothing"
    found = [
        str(path) for path in archived if secret.encode() in gzip.decompress(path.read_bytes())
    ]
    tables = tracker.store.query(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
    )
    for (table,) in tables:
        rows = tracker.store.query(f"SELECT * FROM {table}")
        found += [f"{table}: {row}" for row in rows if secret in repr(row)]
    return found


# ============================================================================ Google Scholar

A = "amIMrIEAAAAJ"  # the 2026 page the synthetic pages are built from
LZ5D = [
    "gs_LZ5D_p4AAAAJ_2026-02-16T182029.html",
    "gs_LZ5D_p4AAAAJ_2026-02-16T182157.html",
    "gs_LZ5D_p4AAAAJ_2026-02-16T182334.html",
]
SCHOLAR_HOST = "scholar.google.com"
SCHOLAR_TITLE = (  # the first paper of the 2026 page, which every synthetic paper copies
    "Optimization of Data Structures and Trade-Offs with Concurrency Control"
    " in Multithread Software Structures Using Artificial Intelligence"
)
SCHOLAR_DELAY = 8.0
SCHOLAR_WAIT = SCHOLAR_DELAY * 1.25  # the politeness delay plus its largest jitter (25 %)
SCHOLAR_CAPTCHA = """<!doctype html><html><head><title>Google Scholar</title></head><body>
<div id="gs_top"><div id="gs_captcha_ccl"><h1>Please show you're not a robot</h1>
<form id="gs_captcha_f" method="post" action="/citations?user=amIMrIEAAAAJ&amp;hl=en">
<div class="g-recaptcha" data-sitekey="6LfFDwUTAAAAAIyC8IeC3aGLqVpvrB6ZpkfmAibj"></div>
</form></div></div></body></html>"""
UNUSUAL_TRAFFIC = """<html><head><title>https://scholar.google.com/citations?user=amIMrIEAAAAJ
</title></head><body><form id="captcha-form" action="index" method="post">
<div id="recaptcha" class="g-recaptcha" data-sitekey="6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b">
</div></form><div>Our systems have detected unusual traffic from your computer network.</div>
</body></html>"""


def scholar_url(user: str, cstart: int = 0) -> str:
    """The list URL the Scholar source asks for."""
    return f"https://{SCHOLAR_HOST}/citations?user={user}&hl=en&cstart={cstart}&pagesize=100"


@functools.cache
def _scholar_template() -> tuple[str, str, str]:
    """The 2026 page split around its paper rows, and its first row."""
    text = read("scholar/gs_amIMrIEAAAAJ_2026-02-16.html")
    body = re.search(r'(<tbody id="gsc_a_b">)(.*?)(</tbody>)', text, re.DOTALL)
    assert body is not None
    row = re.search(r'<tr class="gsc_a_tr">.*?</tr>', body.group(2))
    assert row is not None and 'gs_ibl">131</a>' in row.group()
    return text[: body.start(2)], row.group(), text[body.end(2) :]


def scholar_page(
    first: int, count: int, *, last: bool, citations: Mapping[int, int] | None = None
) -> str:
    """The 2026 page holding papers P{first}..P{first+count-1}, each cited 131 times unless
    `citations` says otherwise; "show more" is disabled on the `last` page."""
    head, row, tail = _scholar_template()
    rows = "".join(
        row.replace(f"{A}:u5HHmVD_uO8C", f"{A}:P{n:05d}")
        .replace(">Optimization of Data", f">Paper {n}: Optimization of Data")
        .replace('gs_ibl">131</a>', f'gs_ibl">{(citations or {}).get(n, 131)}</a>')
        for n in range(first, first + count)
    )
    text = head + rows + tail
    return text.replace('id="gsc_bpf_more"', 'id="gsc_bpf_more" disabled') if last else text


def serve_scholar_profile(
    server: PageServer, papers: int, citations: Mapping[int, int] | None = None
) -> list[str]:
    """Serve a profile of `papers` papers, 100 a page; returns the page texts."""
    starts = range(0, papers, 100)
    texts = [
        scholar_page(s, min(100, papers - s), last=s == starts[-1], citations=citations)
        for s in starts
    ]
    for start, text in zip(starts, texts, strict=True):
        serve(server, scholar_url(A, start), page(text))
    return texts


def follow_scholar(tracker: Tracker, user: str = A) -> None:
    tracker.follow(f"https://{SCHOLAR_HOST}/citations?hl=de&user={user}", "scholar")


def test_scholar_profile_of_250_papers_is_three_pages_in_one_snapshot(tracker: Tracker) -> None:
    texts = serve_scholar_profile(tracker.server, 250)
    follow_scholar(tracker)

    result = tracker.sync()

    assert (result.status, result.changes, result.paper_count) == (FetchStatus.BASELINE, (), 250)
    urls = [scholar_url(A, cstart) for cstart in (0, 100, 200)]
    assert tracker.asked() == urls
    for request, cstart in zip(tracker.server.requests, (0, 100, 200), strict=True):
        assert request.headers["host"] == SCHOLAR_HOST
        assert parse_qs(request.query) == {
            "user": [A],
            "hl": ["en"],
            "cstart": [str(cstart)],
            "pagesize": ["100"],
        }
    digest = tracker.store.profile(PROFILE).content_sha256
    assert tracker.fetch_rows() == [("baseline", 200, digest, BUNDLE_CONTENT_TYPE, None)]
    manifest = tracker.manifest()
    assert [entry["url"] for entry in manifest] == urls
    assert [tracker.archive.get(entry["sha256"]).decode() for entry in manifest] == texts
    assert {entry["content_type"] for entry in manifest} == {HTML}
    papers = tracker.store.query("SELECT key FROM papers ORDER BY key")
    assert papers == [(f"scholar:P{n:05d}",) for n in range(250)]
    assert tracker.record().metrics["citations"] == 425  # the profile is read off the first page
    # Scholar's politeness delay (host_delays) comes before the second and the third page.
    assert SETTINGS.delay_for(SCHOLAR_HOST) == SCHOLAR_DELAY
    assert tracker.waits.sleeps == [SCHOLAR_WAIT, SCHOLAR_WAIT]


def test_scholar_one_paper_cited_more_is_exactly_one_change(tracker: Tracker) -> None:
    serve_scholar_profile(tracker.server, 250, citations={142: 120})
    follow_scholar(tracker)
    assert tracker.sync().status is FetchStatus.BASELINE

    serve_scholar_profile(tracker.server, 250, citations={142: 131})
    result = tracker.sync()

    assert result.status is FetchStatus.CHANGED
    assert result.changes == (
        Change(
            kind=ChangeKind.PAPER_CHANGED,
            paper_key="scholar:P00142",
            paper_title=f"Paper 142: {SCHOLAR_TITLE}",
            old={"citations": 120},
            new={"citations": 131},
            fields=("citations",),
        ),
    )
    [(kind, key, fields, old, new)] = tracker.store.query(
        "SELECT kind, paper_key, fields, old, new FROM changes"
    )
    assert (kind, key, fields) == ("paper_changed", "scholar:P00142", ["citations"])
    assert (json.loads(old), json.loads(new)) == ({"citations": 120}, {"citations": 131})
    assert tracker.store.query("SELECT citations FROM papers WHERE key = 'scholar:P00142'") == [
        (131,)
    ]
    assert [row[0] for row in tracker.fetch_rows()] == ["baseline", "changed"]


def test_scholar_the_same_profile_fetched_three_times_changes_nothing(tracker: Tracker) -> None:
    user = "LZ5D_p4AAAAJ"
    follow_scholar(tracker, user)
    statuses = []
    for name in LZ5D:
        serve(tracker.server, scholar_url(user), page(read(f"scholar/{name}")))
        result = tracker.sync()
        assert result.changes == ()
        statuses.append(result.status)

    assert statuses == [FetchStatus.BASELINE, FetchStatus.UNCHANGED, FetchStatus.UNCHANGED]
    assert tracker.asked() == [scholar_url(user)] * 3  # "show more" is disabled: one page each
    rows = tracker.fetch_rows()
    assert len({digest for _, _, digest, _, _ in rows}) == 3  # the bytes differ every time
    assert tracker.counts() == {
        "fetches": 3,
        "metric_observations": 7,  # written once, at the baseline
        "papers": 12,
        "changes": 0,
    }
    assert tracker.record().name == "Doaa Elmatary"


SIGN_IN_URL = (
    "https://accounts.google.com/v3/signin/identifier?continue="
    "https%3A%2F%2Fscholar.google.com%2Fcitations%3Fuser%3DamIMrIEAAAAJ&service=citations"
)

SORRY_URL = "https://www.google.com/sorry/index?continue=https://scholar.google.com/citations"


@pytest.mark.parametrize(
    ("response", "http_status", "says"),
    [
        pytest.param(
            Response(status=302, redirect_to=SIGN_IN_URL),
            None,
            "redirected off scholar.google.com to accounts.google.com; not followed"
            " (it looks like a sign-in page)",
            id="redirect-to-sign-in",
        ),
        pytest.param(
            Response(status=302, redirect_to=SORRY_URL),
            None,
            "redirected off scholar.google.com to www.google.com; not followed"
            " (it looks like a sign-in page)",
            id="redirect-to-google-sorry",
        ),
        pytest.param(
            page(read("scholar/gs_signin_redirect_2026-02-16.html")),
            200,
            "Google Scholar sent Google's sign-in page (accounts.google.com) instead",
            id="sign-in-page-served-200",
        ),
        pytest.param(
            page(SCHOLAR_CAPTCHA), 200, "Google Scholar sent a CAPTCHA", id="captcha-page"
        ),
        pytest.param(
            page(UNUSUAL_TRAFFIC),
            200,
            "Google Scholar sent an 'unusual traffic' page",
            id="unusual-traffic-page",
        ),
        pytest.param(
            Response(status=429, headers={"Retry-After": "20"}),
            None,
            "rate limited by scholar.google.com",
            id="429-until-the-retries-run-out",
        ),
        pytest.param(Response(status=403), None, "answered 403", id="403"),
    ],
)
def test_scholar_refusals_are_blocked_fetches_that_keep_the_data(
    tracker: Tracker, response: Response, http_status: int | None, says: str
) -> None:
    serve_scholar_profile(tracker.server, 20, citations={3: 120})
    follow_scholar(tracker)
    tracker.sync()
    before, counts = tracker.record(), tracker.counts()
    digest = tracker.store.profile(PROFILE).content_sha256

    serve(tracker.server, scholar_url(A), response)
    result = tracker.sync()

    assert (result.status, result.changes) == (FetchStatus.BLOCKED, ())
    assert result.reason is not None and says in result.reason
    assert tracker.fetch_rows()[-1] == ("blocked", http_status, None, None, result.reason)
    assert tracker.counts() == counts | {"fetches": counts["fetches"] + 1}
    assert tracker.record() == before
    assert tracker.store.profile(PROFILE).content_sha256 == digest
    assert {request.headers["host"] for request in tracker.server.requests} == {SCHOLAR_HOST}

    # The next good page is compared with the data from before the refusal.
    serve_scholar_profile(tracker.server, 20, citations={3: 121})
    result = tracker.sync()
    assert result.status is FetchStatus.CHANGED
    assert [(c.paper_key, c.old, c.new) for c in result.changes] == [
        ("scholar:P00003", {"citations": 120}, {"citations": 121})
    ]


def test_scholar_captcha_on_a_later_page_blocks_the_whole_snapshot(tracker: Tracker) -> None:
    serve_scholar_profile(tracker.server, 250)
    follow_scholar(tracker)
    tracker.sync()
    before, counts = tracker.record(), tracker.counts()

    serve(tracker.server, scholar_url(A, 100), page(SCHOLAR_CAPTCHA))
    result = tracker.sync()

    assert (result.status, result.changes) == (FetchStatus.BLOCKED, ())
    assert tracker.asked()[3:] == [scholar_url(A, 0), scholar_url(A, 100)]  # no page after it
    assert tracker.fetch_rows()[-1] == ("blocked", 200, None, None, result.reason)
    assert tracker.counts() == counts | {"fetches": counts["fetches"] + 1}
    assert tracker.record() == before  # not 150 papers removed


@pytest.mark.parametrize(
    ("retry_after", "sleeps"),
    [
        (30, [30.0]),  # longer than Scholar's politeness delay: only the server's wait
        (3, [3.0, SCHOLAR_WAIT - 3.0]),  # shorter: the politeness delay tops it up
    ],
)
def test_scholar_429_then_200_waits_retry_after_and_succeeds(
    tracker: Tracker, retry_after: int, sleeps: list[float]
) -> None:
    text = scholar_page(0, 20, last=True)
    serve(
        tracker.server,
        scholar_url(A),
        Response(status=429, headers={"Retry-After": str(retry_after)}),
        page(text),
    )
    follow_scholar(tracker)

    result = tracker.sync()

    assert (result.status, result.paper_count) == (FetchStatus.BASELINE, 20)
    assert tracker.asked() == [scholar_url(A)] * 2
    assert tracker.waits.sleeps == sleeps
    [(status, http_status, digest, content_type, _)] = tracker.fetch_rows()
    assert (status, http_status, content_type) == ("baseline", 200, HTML)
    assert tracker.archive.get(digest).decode() == text  # one page: archived as its body


# ============================================================================ OpenAlex

MEARMAN = "A5017898742"
MERGED_INTO = "A999"
OPENALEX_PROFILE = f"https://openalex.org/{MEARMAN}"
CURSOR = "IlsxNjA5MzcyODAwMDAwLCAnaHR0cHM6Ly9vcGVuYWxleC5vcmcvVzI0ODg0OTk1NDYnXSI="
OPENALEX_KEYS = Credentials(openalex_email="me@example.org", openalex_api_key=SecretStr("k-123"))
SIGNATURE = "api_key=k-123&mailto=me%40example.org"
MEARMAN_PAPERS = [
    "doi:10.1145/2795233",
    "doi:10.48550/arxiv.2108.04680",
    "openalex:W2241997964",
    "openalex:W2612755892",
    "openalex:W3200026003",
]
MEARMAN_METRICS = {
    "paper_count": 9,
    "citations": 41,
    "h_index": 2,
    "i10_index": 2,
    "two_year_mean_citedness": 0,
}


def author_url(author: str) -> str:
    return f"https://api.openalex.org/authors/{author}"


def works_url(author: str, cursor: str) -> str:
    """A works page URL; `cursor` as it appears in the URL ("=" is "%3D")."""
    return (
        f"https://api.openalex.org/works?filter=authorships.author.id:{author}"
        f"&per-page=200&cursor={cursor}"
    )


def openalex_urls(author: str) -> list[str]:
    return [
        author_url(author),
        works_url(author, "*"),
        works_url(author, CURSOR.replace("=", "%3D")),
    ]


def openalex_pages(author: str) -> list[Response]:
    """The saved author and its five saved works split over two pages, the last without a cursor."""
    data = json.loads(read("openalex/author_A5017898742.json"))
    data["id"] = f"https://openalex.org/{author}"
    works = json.loads(read("openalex/works_author_A5017898742_per_page5.json"))
    pages = []
    for results, cursor in ((works["results"][:3], CURSOR), (works["results"][3:], None)):
        meta = works["meta"] | {"count": 5, "per_page": 3, "next_cursor": cursor}
        pages.append(json_page({"meta": meta, "results": results, "group_by": []}))
    return [json_page(data), *pages]


def serve_openalex(server: PageServer, author: str = MEARMAN) -> None:
    for url, response in zip(openalex_urls(author), openalex_pages(author), strict=True):
        serve(server, url, response)


def test_openalex_author_then_works_by_cursor_is_one_snapshot(tracker: Tracker) -> None:
    serve_openalex(tracker.server)
    tracker.follow(OPENALEX_PROFILE, "openalex")

    result = tracker.sync()

    assert (result.status, result.paper_count) == (FetchStatus.BASELINE, 5)
    assert tracker.asked() == openalex_urls(MEARMAN)
    assert {r.headers["host"] for r in tracker.server.requests} == {"api.openalex.org"}
    assert [entry["url"] for entry in tracker.manifest()] == openalex_urls(MEARMAN)
    record = tracker.record()
    assert (record.name, record.affiliation) == ("Joseph Mearman", "Bangor University")
    assert record.metrics == MEARMAN_METRICS  # from the author object, not counted from works
    assert sorted(paper.key for paper in record.papers) == MEARMAN_PAPERS
    assert tracker.waits.sleeps == []  # no politeness delay for api.openalex.org


def test_openalex_429_then_200_waits_retry_after(tracker: Tracker) -> None:
    serve_openalex(tracker.server)
    first_works = openalex_urls(MEARMAN)[1]
    serve(
        tracker.server,
        first_works,
        Response(status=429, headers={"Retry-After": "7"}, content_type=JSON),
        openalex_pages(MEARMAN)[1],
    )
    tracker.follow(OPENALEX_PROFILE, "openalex")

    result = tracker.sync()

    assert (result.status, result.paper_count) == (FetchStatus.BASELINE, 5)
    author, works, more = openalex_urls(MEARMAN)
    assert tracker.asked() == [author, works, works, more]
    assert tracker.waits.sleeps == [7.0]


def signed(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{SIGNATURE}"


def test_openalex_credentials_are_sent_and_never_stored(make_tracker: MakeTracker) -> None:
    tracker = make_tracker(OPENALEX_KEYS)
    serve_openalex(tracker.server)
    tracker.follow(OPENALEX_PROFILE, "openalex")

    assert tracker.sync().status is FetchStatus.BASELINE
    assert tracker.asked() == [signed(url) for url in openalex_urls(MEARMAN)]
    for request in tracker.server.requests:
        query = parse_qs(request.query)
        assert (query["api_key"], query["mailto"]) == (["k-123"], ["me@example.org"])
    assert [entry["url"] for entry in tracker.manifest()] == openalex_urls(MEARMAN)

    # Failures whose messages name the URL that carried the key.
    works = openalex_urls(MEARMAN)[1]
    failures = [
        (Response(status=500, body=b"oops"), FetchStatus.FAILED, "answered 500"),
        (
            Response(status=429, headers={"Retry-After": "99999"}),
            FetchStatus.BLOCKED,
            "more than max_retry_after",
        ),
        (
            Response(status=302, redirect_to=f"https://elsewhere.example.org/works?{SIGNATURE}"),
            FetchStatus.FAILED,
            "redirected off api.openalex.org to elsewhere.example.org",
        ),
    ]
    for response, status, says in failures:
        serve(tracker.server, works, response)
        result = tracker.sync()
        assert result.status is status
        assert result.reason is not None and says in result.reason
        assert "k-123" not in result.reason
    assert all(url.endswith(SIGNATURE) for url in tracker.asked())
    reasons = [row[4] for row in tracker.fetch_rows()]
    assert len(reasons) == 4 and all(reasons[1:])

    assert secrets_left(tracker, "k-123") == []


@pytest.mark.parametrize(
    ("credentials", "location", "sign"),
    [
        (None, f"/authors/{MERGED_INTO}", lambda url: url),
        # A redirect that keeps the query keeps the key: it must not be stored with the new URL.
        (OPENALEX_KEYS, f"/authors/{MERGED_INTO}?{SIGNATURE}", signed),
        # A redirect that drops the query: the request to the new address is signed again.
        (OPENALEX_KEYS, f"/authors/{MERGED_INTO}", signed),
    ],
    ids=["no-credentials", "credentials-kept-in-location", "credentials-dropped-by-location"],
)
def test_openalex_merged_author_redirect_is_followed_and_remembered(
    make_tracker: MakeTracker,
    credentials: Credentials | None,
    location: str,
    sign: Callable[[str], str],
) -> None:
    tracker = make_tracker(credentials)
    serve(
        tracker.server,
        author_url(MEARMAN),
        Response(status=301, redirect_to=location, content_type=None),
    )
    serve_openalex(tracker.server, MERGED_INTO)
    tracker.follow(OPENALEX_PROFILE, "openalex")

    result = tracker.sync()

    assert (result.status, result.paper_count) == (FetchStatus.BASELINE, 5)
    merged = openalex_urls(MERGED_INTO)
    assert tracker.asked() == [sign(url) for url in [author_url(MEARMAN), *merged]]
    assert [entry["url"] for entry in tracker.manifest()] == merged
    assert tracker.record().metrics == MEARMAN_METRICS
    # A 301 is for good: the profile now lives at the merged author, asked for directly.
    assert tracker.store.profile(PROFILE).url == author_url(MERGED_INTO)
    assert tracker.sync().status is FetchStatus.NOT_MODIFIED  # the same bytes again
    assert tracker.asked()[4:] == [sign(url) for url in merged]
    assert secrets_left(tracker, "k-123") == []


# ============================================================================ Semantic Scholar

S2_AUTHOR_URL = (
    "https://api.semanticscholar.org/graph/v1/author/2262347"
    "?fields=name,affiliations,homepage,paperCount,citationCount,hIndex"
)
S2_KEY = "s2-secret-789"


def s2_papers_url(offset: int) -> str:
    return (
        "https://api.semanticscholar.org/graph/v1/author/2262347/papers"
        "?fields=title,year,authors,venue,publicationDate,citationCount,externalIds,url"
        f"&offset={offset}&limit=1000"
    )


def serve_semantic_scholar(server: PageServer) -> ProfileRecord:
    """The saved author without its papers, then its 60 papers over two pages; returns the
    record of the saved author with its papers embedded, which the pages must add up to."""
    text = read("semanticscholar/author_2262347_with_papers.json")
    author = json.loads(text)
    papers = author.pop("papers")
    serve(server, S2_AUTHOR_URL, json_page(author))
    serve(server, s2_papers_url(0), json_page({"offset": 0, "next": 40, "data": papers[:40]}))
    serve(server, s2_papers_url(40), json_page({"offset": 40, "data": papers[40:]}))
    return semantic_scholar.SOURCE.parse(text, url=S2_AUTHOR_URL, fetched_at=START)


@pytest.mark.parametrize("key", [None, S2_KEY], ids=["no-key", "api-key"])
def test_semantic_scholar_author_then_papers_by_offset(
    make_tracker: MakeTracker, key: str | None
) -> None:
    tracker = make_tracker(Credentials(semantic_scholar_api_key=SecretStr(key) if key else None))
    embedded = serve_semantic_scholar(tracker.server)
    tracker.follow("https://www.semanticscholar.org/author/A.-Turing/2262347", "semantic_scholar")

    result = tracker.sync()

    assert (result.status, result.paper_count) == (FetchStatus.BASELINE, 60)
    urls = [S2_AUTHOR_URL, s2_papers_url(0), s2_papers_url(40)]
    assert tracker.asked() == urls
    assert [r.headers.get("x-api-key") for r in tracker.server.requests] == [key] * 3
    assert [entry["url"] for entry in tracker.manifest()] == urls
    record = tracker.record()
    assert record.metrics == {"h_index": 23, "citations": 12415, "paper_count": 60}
    by_key = functools.partial(sorted, key=lambda paper: paper.key)
    assert by_key(record.papers) == by_key(embedded.papers)

    serve(tracker.server, s2_papers_url(40), Response(status=503, body=b"busy"))
    result = tracker.sync()
    assert result.status is FetchStatus.FAILED
    assert result.reason is not None and "answered 503" in result.reason
    assert secrets_left(tracker, S2_KEY) == []


# ============================================================================ tracker add

ADD_CASES = [
    ("https://scholar.google.com/citations?user=amIMrIEAAAAJ&hl=en", "scholar"),
    ("https://scholar.google.co.uk/citations?user=qAdaLov0AAAAJ", "scholar"),
    ("https://scholar.google.de/citations?hl=de&user=LZ5D_p4AAAAJ", "scholar"),
    ("https://scholar.google.com.au/citations?user=amIMrIEAAAAJ&view_op=list_works", "scholar"),
    ("https://openalex.org/A5023888391", "openalex"),
    ("https://openalex.org/authors/A5023888391", "openalex"),
    ("https://api.openalex.org/authors/A5023888391", "openalex"),
    ("https://api.openalex.org/authors/orcid:0000-0002-1825-0097", "openalex"),
    ("https://orcid.org/0000-0002-1825-0097", "openalex"),
    ("https://www.semanticscholar.org/author/A.-Turing/2262347", "semantic_scholar"),
    ("https://www.semanticscholar.org/author/2262347", "semantic_scholar"),
    ("https://api.semanticscholar.org/graph/v1/author/2262347", "semantic_scholar"),
    ("https://arxiv.org/a/warner_s_1", "arxiv"),
    ("https://arxiv.org/a/warner_s_1.atom", "arxiv"),
    ("https://export.arxiv.org/api/query?search_query=au:del_maestro", "arxiv"),
    ("https://example.org/people/ada", "profile_page"),
    ("http://www.cs.example.edu/~ada/", "profile_page"),
    ("https://scholar.google.com/scholar?q=ada+lovelace", "profile_page"),  # a search, no profile
]


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database for every `add` case: creating a DuckDB file costs more than the case."""
    return tmp_path_factory.mktemp("cli") / "cli.duckdb"


@pytest.mark.parametrize(("url", "source"), ADD_CASES)
def test_add_recognises_the_source_of_each_kind_of_url(
    cli_db: Path, monkeypatch: pytest.MonkeyPatch, url: str, source: str
) -> None:
    monkeypatch.setenv("TRACKER_DB", str(cli_db))
    monkeypatch.setenv("TRACKER_DATA_DIR", str(cli_db.parent))

    assert main(["add", url]) == 0

    with Store.open(cli_db, read_only=True) as store:
        assert store.query("SELECT source FROM profiles WHERE url = ?", [url]) == [(source,)]
