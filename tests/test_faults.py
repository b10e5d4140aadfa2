"""The fault matrix: every way a site misbehaves, synced for real into a real DuckDB file.

For each fault, one profile with a good baseline is synced twice against the misbehaving
server, then once more against a healed one. Each failing sync records a failed or blocked
fetch with its exact reason, keeps every earlier snapshot (rows and archived pages), reports
no change, and raises no alert but "needs attention" (on the second failure in a row, at
once for a changed layout). The next good sync then reports exactly what changed. The few
faults tracker reads through (bad bytes, a lying charset) must report nothing at all.
Last, a page whose text is SQL, HTML, Markdown and terminal markup is stored as given and
shown escaped by every report.

Waits the fetcher asks for (backoff, Retry-After) are recorded, not slept.
"""

from __future__ import annotations

import gzip
import re
import shutil
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from records_factory import FETCHED_AT, paper, record
from tracker.archive import Archive
from tracker.demo_page import render_profile_html
from tracker.fetch import Fetcher
from tracker.html_report import gather_html_report, render_html
from tracker.integrity import check_invariants
from tracker.pageserver import LOOPBACK, PageServer, Response
from tracker.records import ProfileRecord
from tracker.report import build_report, render_markdown, render_terminal
from tracker.settings import FetchSettings
from tracker.store import FetchStatus, Profile, Store
from tracker.sync import Syncer, run_status

PATH = "/p/ada"
SETTINGS = FetchSettings(
    connect_timeout=0.5,
    read_timeout=0.3,
    total_timeout=0.6,
    retries=1,
    backoff_base=0.01,
    politeness_delay=0.0,
)
SNAPSHOT_TABLES = ("metric_observations", "papers", "changes", "citations_per_year")


def profile_record(citations: int = 100) -> ProfileRecord:
    """Eight papers, one with non-ASCII title and author, so charsets matter."""
    base = record(papers=8, citations=citations)
    accented = paper(8, title="Gödel, Escher and Zürich", authors=["Kurt Gödel", "Émilie Châtelet"])
    return base.model_copy(update={"papers": [*base.papers[:7], accented]})


PAGE = render_profile_html(profile_record()).encode()
HEALED = render_profile_html(profile_record(citations=101)).encode()


@cache
def gzip_bomb() -> bytes:
    """50 MB of zeros, gzip-compressed to about 50 kB."""
    return gzip.compress(bytes(50_000_000), mtime=0)


def garbage_numbers(page: bytes) -> bytes:
    """Every number on the page (stats, paper count, dates) replaced by something that is none."""
    junk = iter(["NaN", "∞", "n/a", "1e999", "12.3.4", "—"] * 20)
    page = re.sub(rb'class="value">[^<]*<', lambda _: f'class="value">{next(junk)}<'.encode(), page)
    page = re.sub(rb"<h2>\d+ Papers", b"<h2>?? Papers", page)
    return re.sub(rb"(\w{3}) \d+, \d{4}", rb"\1 ??, 20xx", page)


CAPTCHA = (
    b"<html><body><h1>Please verify you are a human</h1><div class='g-recaptcha'></div>"
    b"<p>Our systems have detected unusual traffic from your network.</p></body></html>"
)
SIGN_IN = (
    b"<html><body><h1>Sign in</h1><form action='/session'><input name='email'>"
    b"<input type='password' name='password'><button>Sign in</button></form></body></html>"
)

Routes = Callable[[PageServer], Mapping[str, Response]]


def at_profile(response: Response) -> Routes:
    return lambda _: {PATH: response}


def redirect(location: Callable[[PageServer], str], **extra: Response) -> Routes:
    return lambda server: {PATH: Response(status=302, redirect_to=location(server)), **extra}


@dataclass(frozen=True)
class Fault:
    """A misbehaving server and what tracker must record for it."""

    routes: Routes | None  # None: nothing listens on the profile's port
    status: FetchStatus
    reason: str | None  # a regex the whole recorded reason matches
    needs_attention_on: int | None = 2  # the failing sync that raises it; None: never
    waits: tuple[float, ...] | None = None  # the waits one sync asks for, when they matter


URL = r"http://127\.0\.0\.1:\d+/p/ada"
GAVE_UP = r" \(gave up after 2 attempts\)"
BLOCKED_HINT = r" \(the site refused us: slow down and try again later\)"
LIMIT = "over the limit of 10000000 bytes \\(max_body_bytes\\)"

FAULTS = {
    "connection-refused": Fault(
        None, FetchStatus.FAILED, rf"could not connect to 127\.0\.0\.1: .*{GAVE_UP}"
    ),
    "reset-mid-body": Fault(
        at_profile(Response(body=PAGE, reset_after=200)),
        FetchStatus.FAILED,
        rf"the connection broke while fetching {URL}: .*Connection reset by peer{GAVE_UP}",
    ),
    "read-timeout": Fault(
        at_profile(Response(body=PAGE, delay=30)),
        FetchStatus.FAILED,
        rf"fetching {URL} timed out after 0\.3 s{GAVE_UP}",
    ),
    "trickles-forever": Fault(
        at_profile(Response(trickle=0.05)),
        FetchStatus.FAILED,
        rf"fetching {URL} timed out after 0\.6 s{GAVE_UP}",
    ),
    "429-retry-after": Fault(
        at_profile(Response(status=429, headers={"Retry-After": "120"})),
        FetchStatus.BLOCKED,
        rf"rate limited by 127\.0\.0\.1: {URL} answered 429 Too Many Requests{GAVE_UP}"
        + BLOCKED_HINT,
        waits=(120.0,),
    ),
    "429-retry-after-too-long": Fault(
        at_profile(Response(status=429, headers={"Retry-After": "86400"})),
        FetchStatus.BLOCKED,
        rf"rate limited by 127\.0\.0\.1: {URL} answered 429 Too Many Requests and asked us to"
        r" wait 86400 s, more than max_retry_after \(300 s\); try again after \S+ \S+ UTC"
        + BLOCKED_HINT,
        waits=(),
    ),
    **{
        str(status): Fault(
            at_profile(Response(status=status, body=b"oops")),
            FetchStatus.FAILED,
            rf"{URL} answered {status} {phrase}{GAVE_UP}",
        )
        for status, phrase in [
            (500, "Internal Server Error"),
            (502, "Bad Gateway"),
            (503, "Service Unavailable"),
        ]
    },
    "200-empty-body": Fault(
        at_profile(Response(body=b"")), FetchStatus.FAILED, "the server sent an empty page"
    ),
    "200-truncated-body": Fault(
        at_profile(Response(body=PAGE, declared_length=len(PAGE) + 1000)),
        FetchStatus.FAILED,
        rf"the connection broke while fetching {URL}: peer closed connection without sending"
        rf" complete message body \(received {len(PAGE)} bytes, expected {len(PAGE) + 1000}\)"
        + GAVE_UP,
    ),
    "200-truncated-page": Fault(
        at_profile(Response(body=PAGE[: len(PAGE) * 7 // 10])),
        FetchStatus.FAILED,
        "the page looks cut short: it ends before its closing </html> tag and 3 of its 8"
        " papers are missing; the previous data is kept",
    ),
    "captcha-page": Fault(
        at_profile(Response(body=CAPTCHA)),
        FetchStatus.BLOCKED,
        r"the site sent a CAPTCHA or sign-in page instead of the profile \(the page shows no"
        r" researcher stats \(h-index, papers, citations\)\)" + BLOCKED_HINT,
    ),
    "sign-in-page": Fault(
        at_profile(Response(body=SIGN_IN)),
        FetchStatus.BLOCKED,
        r"the site sent a CAPTCHA or sign-in page instead of the profile \(.*\)" + BLOCKED_HINT,
    ),
    "redirect-to-sign-in": Fault(
        redirect(lambda _: "/login?next=/p/ada", **{"/login": Response(body=SIGN_IN)}),
        FetchStatus.BLOCKED,
        r"the site redirected to a sign-in page \(http://127\.0\.0\.1:\d+/login\)" + BLOCKED_HINT,
    ),
    "redirect-to-sign-in-elsewhere": Fault(
        redirect(lambda server: server.url("/accounts/signin?continue=x", host="localhost")),
        FetchStatus.BLOCKED,
        rf"{URL} redirected off 127\.0\.0\.1 to localhost; not followed"
        r" \(it looks like a sign-in page\)",
    ),
    "layout-changed": Fault(
        at_profile(
            Response(body=render_profile_html(profile_record(), include_papers=False).encode())
        ),
        FetchStatus.LAYOUT_CHANGED,
        "the page layout changed or the page is blocked: the profile page states 8 papers"
        " but no paper card could be read",
        needs_attention_on=1,
    ),
    "50-mb-body": Fault(
        at_profile(Response(body=b"<p>" * 16_666_667)),
        FetchStatus.FAILED,
        rf"{URL} declares a body of 50000001 bytes, {LIMIT}",
    ),
    "gzip-bomb": Fault(
        lambda _: {
            PATH: Response(body=gzip_bomb(), headers={"Content-Encoding": "gzip"}),
        },
        FetchStatus.FAILED,
        rf"{URL} sent a body {LIMIT}",
    ),
    "redirect-loop": Fault(
        redirect(
            lambda _: "/p/ada-moved", **{"/p/ada-moved": Response(status=301, redirect_to=PATH)}
        ),
        FetchStatus.FAILED,
        rf"redirect loop: http://127\.0\.0\.1:\d+/p/ada-moved redirected back to {URL}",
    ),
    "redirect-to-another-host": Fault(
        redirect(lambda server: server.url("/elsewhere", host="localhost")),
        FetchStatus.FAILED,
        rf"{URL} redirected off 127\.0\.0\.1 to localhost; not followed",
    ),
    "redirect-to-file-scheme": Fault(
        redirect(lambda _: "file:///etc/passwd"),
        FetchStatus.FAILED,
        rf"{URL} redirected to a file: URL; not followed",
    ),
    "redirect-to-javascript-scheme": Fault(
        redirect(lambda _: "javascript:alert(1)"),
        FetchStatus.FAILED,
        rf"{URL} redirected to an invalid URL; not followed",
    ),
    "not-html-content-type": Fault(
        at_profile(Response(body=b"%PDF-1.7 ...", content_type="application/pdf")),
        FetchStatus.FAILED,
        rf"unexpected content type 'application/pdf' from {URL}; expected a page",
    ),
    "invalid-utf8": Fault(
        at_profile(
            Response(body=PAGE.replace(b"</footer>", b"\xff\xfe\xc3(</footer><!-- \x80 -->"))
        ),
        FetchStatus.UNCHANGED,
        None,
        needs_attention_on=None,
    ),
    "wrong-declared-charset": Fault(
        at_profile(
            Response(body=PAGE + b"<!-- iso -->", content_type="text/html; charset=ISO-8859-1")
        ),
        FetchStatus.UNCHANGED,
        None,
        needs_attention_on=None,
    ),
    "every-number-garbage": Fault(
        at_profile(Response(body=garbage_numbers(PAGE))),
        FetchStatus.LAYOUT_CHANGED,
        r"the page layout changed or the page is blocked: the page shows no researcher stats"
        r" \(h-index, papers, citations\)",
        needs_attention_on=1,
    ),
}


class SwitchablePort:
    """A fixed loopback port that relays to the page server, or refuses connections while down."""

    def __init__(self, server: PageServer) -> None:
        self._target = server.port
        self._relay: _Relay | None = None
        with socket.socket() as probe:
            probe.bind((LOOPBACK, 0))
            self.port = probe.getsockname()[1]
        self.up()

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def up(self) -> None:
        self._relay = _Relay((LOOPBACK, self.port), _Forward)
        self._relay.target = self._target
        threading.Thread(target=self._relay.serve_forever, args=(0.02,), daemon=True).start()

    def down(self) -> None:
        """Close the port: from now on a connection is refused."""
        if self._relay is not None:
            self._relay.shutdown()
            self._relay.server_close()
            self._relay = None


class _Relay(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    target = 0


class _Forward(socketserver.BaseRequestHandler):
    server: _Relay

    def handle(self) -> None:
        with socket.create_connection((LOOPBACK, self.server.target)) as upstream:
            back = threading.Thread(target=_pump, args=(upstream, self.request))
            back.start()
            _pump(self.request, upstream)
            back.join()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Rig:
    """One profile with a good baseline, a clock moved a day per sync, and recorded waits."""

    def __init__(
        self, store: Store, fetcher: Fetcher, archive: Archive, waits: list[float]
    ) -> None:
        self.store, self.archive, self.waits = store, archive, waits
        self.now = FETCHED_AT
        self.syncer = Syncer(store, fetcher, archive, self.clock)

    def clock(self) -> datetime:
        return self.now

    def sync(self) -> tuple[FetchStatus, tuple[Any, ...], str | None]:
        self.now += timedelta(days=1)
        self.waits.clear()
        run = self.store.start_run(self.now)
        result = self.syncer.sync(run, "ada")
        self.store.finish_run(run, self.now, run_status([result]))
        changes = tuple((c.kind.value, c.metric or c.paper_key, c.new) for c in result.changes)
        return result.status, changes, result.reason

    def snapshot_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return {t: self.store.query(f"SELECT * FROM {t} ORDER BY ALL") for t in SNAPSHOT_TABLES}

    def alert_count(self) -> int:
        return int(self.store.query("SELECT count(*) FROM alert_events")[0][0])

    def alerts_since(self, count: int) -> list[str]:
        rows = self.store.query("SELECT kind FROM alert_events ORDER BY occurred_at, kind")
        return [kind for (kind,) in rows[count:]]

    def current(self) -> dict[str, Any] | None:
        """The last good snapshot, whenever it was taken."""
        current = self.store.current_record("ada")
        return current.model_dump(exclude={"fetched_at"}) if current else None

    def archived(self) -> dict[Path, bytes]:
        return {path: path.read_bytes() for path in self.archive.root.rglob("*.gz")}


@pytest.fixture
def port(page_server: PageServer) -> Iterator[SwitchablePort]:
    switchable = SwitchablePort(page_server)
    yield switchable
    switchable.down()


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new database, created and migrated once, for each test to copy."""
    path = tmp_path_factory.mktemp("template") / "empty.duckdb"
    Store.open(path).close()
    return path


WAITS: list[float] = []


@pytest.fixture(scope="module")
def fetcher() -> Iterator[Fetcher]:
    """One fetcher for the module (building its TLS context costs more than a sync here)."""
    with Fetcher(SETTINGS, sleep=WAITS.append) as shared:
        yield shared


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_fault_is_recorded_keeps_the_data_and_the_next_good_sync_proceeds(
    fault: Fault,
    tmp_path: Path,
    page_server: PageServer,
    empty_db: Path,
    fetcher: Fetcher,
    request: pytest.FixtureRequest,
) -> None:
    port: SwitchablePort | None = request.getfixturevalue("port") if fault.routes is None else None
    url = port.url(PATH) if port else page_server.url(PATH)
    shutil.copy(empty_db, tmp_path / "t.duckdb")
    with Store.open(tmp_path / "t.duckdb") as store:
        store.add_profile(Profile(id="ada", url=url, source="profile_page", added_at=FETCHED_AT))
        rig = Rig(store, fetcher, Archive(tmp_path / "archive"), WAITS)
        page_server.set(PATH, Response(body=PAGE))
        assert rig.sync() == (FetchStatus.BASELINE, (), None)
        kept, archived, known = rig.snapshot_rows(), rig.archived(), rig.current()

        if port:
            port.down()
        else:
            assert fault.routes is not None
            for path, response in fault.routes(page_server).items():
                page_server.set(path, response)
        for number in (1, 2):
            alerts = rig.alert_count()
            status, changes, reason = rig.sync()
            # A page read through is not parsed again when the same bytes come back.
            again = number == 2 and fault.status.is_good
            assert (status, changes) == (FetchStatus.NOT_MODIFIED if again else fault.status, ())
            if fault.reason is None:
                assert reason is None
            else:
                assert reason is not None and re.fullmatch(fault.reason, reason), reason
            if fault.waits is not None:
                assert tuple(WAITS) == fault.waits
            expected = ["needs_attention"] if fault.needs_attention_on == number else []
            assert rig.alerts_since(alerts) == expected
            assert rig.snapshot_rows() == kept
            assert rig.current() == known
            assert {path: rig.archived().get(path) for path in archived} == archived
        assert check_invariants(store) == []
        statuses = [status for (status,) in store.query("SELECT status FROM fetches ORDER BY id")]
        assert statuses[:2] == ["baseline", fault.status.value] and len(statuses) == 3

        if port:
            port.up()
        page_server.set(PATH, Response(body=HEALED))
        alerts = rig.alert_count()
        assert rig.sync() == (FetchStatus.CHANGED, (("metric_changed", "citations", 101),), None)
        recovered = ["recovered"] if fault.needs_attention_on else []
        assert sorted(rig.alerts_since(alerts)) == sorted(["metric_changed", *recovered])
        assert check_invariants(store) == []
    # Nothing was ever fetched from another host, whatever the redirects said.
    assert {asked.headers["host"].split(":")[0] for asked in page_server.requests} == {LOOPBACK}


HOSTILE = (
    "Robert'); DROP TABLE papers; -- <script>alert(1)</script> [x](javascript:alert(1)) [bold]"
)


def test_text_from_a_page_is_data_everywhere(
    tmp_path: Path, page_server: PageServer, empty_db: Path, fetcher: Fetcher
) -> None:
    """SQL, HTML, Markdown and terminal markup in a page are stored as given and shown escaped."""

    shutil.copy(empty_db, tmp_path / "t.duckdb")
    base = profile_record().model_copy(update={"name": HOSTILE, "affiliation": HOSTILE})
    hostile_paper = paper(9, title=f"{HOSTILE} *new*", abstract=HOSTILE)
    grown = base.model_copy(update={"papers": [*base.papers, hostile_paper]})
    with Store.open(tmp_path / "t.duckdb") as store:
        url = page_server.url(PATH)
        store.add_profile(Profile(id="ada", url=url, source="profile_page", added_at=FETCHED_AT))
        rig = Rig(store, fetcher, Archive(tmp_path / "archive"), WAITS)
        for snapshot in (base, grown):
            page_server.set(PATH, Response(body=render_profile_html(snapshot).encode()))
            rig.sync()
        assert store.query("SELECT name, affiliation FROM profiles") == [(HOSTILE, HOSTILE)]
        assert store.query("SELECT count(*) FROM papers") == [(9,)]
        [(title,)] = store.query("SELECT paper_title FROM changes WHERE kind = 'paper_added'")
        assert title == f"{HOSTILE} *new*"
        assert check_invariants(store) == []

        report = build_report(store, generated_at=rig.now)
        markdown = render_markdown(report)
        html = render_html(gather_html_report(store, generated_at=rig.now))
        console = Console(record=True, width=300)
        render_terminal(report, console)
    terminal = console.export_text()
    assert r"\<script\>" in markdown and r"\[x\](javascript" in markdown
    assert not re.search(r"(?<!\\)[<>\[\]*]", markdown.partition("\n")[2])  # all escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert 'href="javascript' not in html
    assert "[bold]" in terminal and "<script>alert(1)</script>" in terminal  # shown, not styled
