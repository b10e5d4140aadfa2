"""`tracker report --format html`: what it shows, that page text stays text, that it refers
to nothing outside itself, and that a real headless Chromium renders its charts offline."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from records_factory import paper, record
from tracker.cli import main
from tracker.demo import PROFILE_ID, STORY
from tracker.html_report import CHART_COLOR, HtmlReport, gather_html_report, render_html
from tracker.records import Paper, ProfileRecord
from tracker.sources.profile_page import SOURCE
from tracker.store import FetchOutcome, FetchStatus, Profile, Store
from tracker.sync import record_snapshot

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
EVIL = "<script>alert(1)</script>"
FIRST_DAY = date(2026, 11, 20)
GENERATED_AT = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
DEMO_URL = "http://127.0.0.1:8000/researchers/hankook-lee"
ADA_URL = "https://scholar.google.com/citations?user=abcdEFGHijkl"


def morning(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=7)


def store_snapshot(store: Store, profile_id: str, snapshot: ProfileRecord) -> None:
    run_id = store.start_run(snapshot.fetched_at)
    outcome = FetchOutcome(status=FetchStatus.CHANGED, fetched_at=snapshot.fetched_at)
    with store.transaction() as con:
        record_snapshot(store, con, run_id, profile_id, outcome, snapshot)


def store_failure(store: Store, profile_id: str, status: FetchStatus, moment: datetime) -> None:
    run_id = store.start_run(moment)
    reason = {
        FetchStatus.FAILED: "the server answered 503 Service Unavailable",
        FetchStatus.LAYOUT_CHANGED: "the page layout changed: no paper card could be read",
    }[status]
    with store.transaction() as con:
        store.insert_fetch(
            con, run_id, profile_id, FetchOutcome(status=status, fetched_at=moment, reason=reason)
        )


def replay_demo(store: Store) -> None:
    """The days of `tracker demo`, stored the way its syncs store them (without the server)."""
    text = files("tracker.demo_data").joinpath("hankook-lee.txt").read_text(encoding="utf-8")
    current = SOURCE.parse(text, url=None, fetched_at=morning(FIRST_DAY))
    store.add_profile(
        Profile(id=PROFILE_ID, url=DEMO_URL, source=SOURCE.kind, added_at=morning(FIRST_DAY))
    )
    for number, day in enumerate(STORY):
        today = FIRST_DAY + timedelta(days=number)
        if day.broken_layout:
            store_failure(store, PROFILE_ID, FetchStatus.LAYOUT_CHANGED, morning(today))
        elif day.page is None:
            store_failure(store, PROFILE_ID, FetchStatus.FAILED, morning(today))
        else:
            current = day.page(current, today).model_copy(update={"fetched_at": morning(today)})
            store_snapshot(store, PROFILE_ID, current)


def ada_papers(counts: tuple[int, int, int], *extra: Paper) -> list[Paper]:
    first, second, third = counts
    return [
        paper(
            1, title=EVIL, abstract=EVIL, url="javascript:alert(1)", code_url="javascript:x"
        ).model_copy(update={"citations": first}),
        paper(
            2, url="https://example.org/papers/2", code_url="https://github.com/ada/topic-2"
        ).model_copy(update={"citations": second}),
        paper(3, arxiv_id="2401.00003", citations=third),
        *extra,
    ]


NEW_PAPER = paper(
    4,
    title="<b>bold</b> & <i>new</i>",
    doi="10.1000/xyz",
    published=date(2026, 11, 21),
    citations=0,
)


def add_ada(store: Store) -> None:
    """A Scholar profile whose page text is hostile, with per-year and per-paper citations."""
    store.add_profile(Profile(id="ada", url=ADA_URL, source="scholar", added_at=morning(FIRST_DAY)))
    days = [
        (0, 100, 5, (10, 20, 5), {2024: 30, 2025: 50, 2026: 5}, ()),
        (2, 120, 6, (25, 21, 7), {2024: 30, 2025: 60, 2026: 12}, ()),
        (4, 126, 6, (25, 21, 7), {2024: 30, 2025: 60, 2026: 18}, (NEW_PAPER,)),
    ]
    for offset, citations, h_index, counts, per_year, extra in days:
        listed = ada_papers(counts, *extra)
        snapshot = record(
            len(listed),
            citations=citations,
            h_index=h_index,
            source="scholar",
            name=EVIL,
            fetched_at=morning(FIRST_DAY + timedelta(days=offset)),
            citations_per_year=per_year,
        )
        store_snapshot(store, "ada", snapshot.model_copy(update={"papers": listed}))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.duckdb"
    with Store.open(path) as store:
        replay_demo(store)
        add_ada(store)
    return path


@pytest.fixture(scope="module")
def gathered(db: Path) -> HtmlReport:
    with Store.open(db, read_only=True) as store:
        return gather_html_report(store, generated_at=GENERATED_AT)


@pytest.fixture(scope="module")
def html(gathered: HtmlReport) -> str:
    return render_html(gathered)


def test_each_profile_has_its_papers_gainers_and_change_log(gathered: HtmlReport) -> None:
    ada, demo = gathered.profiles
    assert (ada.id, demo.id) == ("ada", PROFILE_ID)
    assert [entry.paper.title for entry in demo.new_papers] == [
        "Tracking Researchers Over Time with Typed Snapshots"
    ]
    assert demo.top_gainers == [] and demo.per_year == {}
    assert [(f"{entry.at:%m-%d}", entry.kind, entry.text) for entry in demo.log] == [
        ("11-20", "baseline", "now tracking 24 papers"),
        ("11-21", "change", "citations 754 → 790 (+36)"),
        ("11-23", "problem", "sync failed: the server answered 503 Service Unavailable"),
        ("11-24", "change", "papers 24 → 25 (+1)"),
        ("11-24", "change", "citations 790 → 795 (+5)"),
        (
            "11-24",
            "new-paper",
            "new paper: “Tracking Researchers Over Time with Typed Snapshots” (2026-11-23, LG)",
        ),
        (
            "11-25",
            "problem",
            "sync failed: the page layout changed: no paper card could be read",
        ),
        ("11-26", "change", "h-index 76 → 77 (+1)"),
        ("11-26", "change", "citations 795 → 813 (+18)"),
    ]
    assert [(e.paper.title, e.gain, e.link, e.code_link) for e in ada.top_gainers] == [
        (EVIL, 15, None, None),  # javascript: links are never links
        ("A Study of Topic 3", 2, "https://arxiv.org/abs/2401.00003", None),
        ("A Study of Topic 2", 1, "https://example.org/papers/2", "https://github.com/ada/topic-2"),
    ]
    assert [(e.paper.title, e.link) for e in ada.new_papers] == [
        (NEW_PAPER.title, "https://doi.org/10.1000/xyz")
    ]
    assert ada.per_year == {2024: 30, 2025: 60, 2026: 18}
    assert [o.value for o in ada.series["citations"]] == [100, 120, 126]


def test_since_limits_the_period(db: Path) -> None:
    with Store.open(db, read_only=True) as store:
        report = gather_html_report(
            store, generated_at=GENERATED_AT, since=morning(date(2026, 11, 23)), profile_ids=["ada"]
        )
    [ada] = report.profiles
    assert report.period == "since 2026-11-23 07:00 UTC"
    assert [e.paper.title for e in ada.new_papers] == [NEW_PAPER.title]
    assert ada.top_gainers == []  # the gains were on 11-22
    assert [entry.text for entry in ada.log] == [
        "citations 120 → 126 (+6)",
        "papers 3 → 4 (+1)",
        f"new paper: “{NEW_PAPER.title}” (2026-11-21, LG)",
    ]


def test_page_text_is_escaped(html: str) -> None:
    assert EVIL not in html and "<script" not in html.lower()
    # the name (overview and heading), the paper title and its abstract, shown as text
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;new&lt;/i&gt;" in html
    assert "javascript:" not in html


class References(HTMLParser):
    """Every attribute and every piece of CSS of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[tuple[str, str, str]] = []
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css.append(data)


def test_nothing_outside_the_file_is_referenced_but_paper_and_code_links(html: str) -> None:
    parser = References()
    parser.feed(html)
    links = {
        value
        for tag, name, value in parser.attributes
        if tag == "a" and name == "href" and not value.startswith("#")
    }
    assert links == {
        "https://example.org/papers/2",
        "https://github.com/ada/topic-2",
        "https://arxiv.org/abs/2401.00003",
        "https://doi.org/10.1000/xyz",
        ADA_URL,  # the profile pages
        DEMO_URL,
    }
    loaded = {"src", "srcset", "href", "xlink:href", "poster", "data", "action", "background"}
    for tag, name, value in parser.attributes:
        if tag == "a" and name == "href":
            continue
        if name in loaded:
            assert value.startswith(("#", "data:")), (tag, name, value)
        assert "://" not in value, (tag, name, value)  # no namespace URIs, no metadata links
        for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", value):
            assert target.startswith("#"), (tag, name, value)
    css = " ".join(parser.css)
    assert "@import" not in css and "url(" not in css
    ids = [value for _, name, value in parser.attributes if name == "id"]
    assert len(ids) == len(set(ids)), "ids repeat across charts"


# headless Chromium over the DevTools protocol


class DevTools:
    """A minimal Chrome DevTools Protocol client: calls, and the events seen meanwhile."""

    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect

        self.socket = connect(url, max_size=None, open_timeout=10)
        self.events: list[dict[str, Any]] = []
        self._id = 0

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:
            reply = self._receive()
            if reply.get("id") == self._id:
                assert "error" not in reply, (method, reply["error"])
                result: dict[str, Any] = reply["result"]
                return result

    def wait_for(self, event: str, *, after: int) -> dict[str, Any]:
        """The first `event` among the events seen after the first `after` of them."""
        seen = next((e for e in self.events[after:] if e["method"] == event), None)
        while seen is None:
            reply = self._receive()
            seen = reply if reply.get("method") == event else None
        return seen

    def _receive(self) -> dict[str, Any]:
        reply: dict[str, Any] = json.loads(self.socket.recv(timeout=30))
        if "method" in reply:
            self.events.append(reply)
        return reply

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[DevTools]:
    """Headless Chromium with the network off: no name resolves, every proxy request fails."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")
    process = subprocess.Popen(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, process.kill)  # a browser that hangs fails the test
    watchdog.start()
    try:
        assert process.stderr is not None
        url = None
        for line in process.stderr:
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url, "chromium did not start its DevTools endpoint"
        # keep reading its log so it never blocks on a full pipe
        threading.Thread(target=process.stderr.read, daemon=True).start()
        devtools = DevTools(url)
        try:
            yield devtools
        finally:
            devtools.close()
    finally:
        watchdog.cancel()
        process.kill()
        process.wait()


CHART_CHECK = """
[...document.querySelectorAll('figure.chart')].map(figure => {
  const svg = figure.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('[id$="-data"]')].flatMap(group => {
    const uses = [...group.querySelectorAll('use')];
    return uses.length ? uses : [group];
  });
  const drawn = marks.filter(mark => {
    const r = mark.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  });
  return {metric: figure.dataset.metric, expected: Number(figure.dataset.points),
          drawn: drawn.length, width: Math.round(box.width), height: Math.round(box.height)};
})
"""


def test_chromium_renders_the_charts_offline(
    chromium: DevTools, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "report.html"
    assert main(["--db", str(db), "report", "--format", "html", "--output", str(page)]) == 0
    assert capsys.readouterr().out == f"wrote {page}\n"

    target = chromium.call("Target.createTarget", url="about:blank")["targetId"]
    session = chromium.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        chromium.call(f"{domain}.enable", session)
    chromium.call(
        "Emulation.setDeviceMetricsOverride",
        session,
        width=1200,
        height=900,
        deviceScaleFactor=1,
        mobile=False,
    )
    before = len(chromium.events)
    navigation = chromium.call("Page.navigate", session, url=page.as_uri())
    assert "errorText" not in navigation, navigation
    chromium.wait_for("Page.loadEventFired", after=before)

    charts = chromium.call("Runtime.evaluate", session, expression=CHART_CHECK, returnByValue=True)
    assert [(c["metric"], c["drawn"]) for c in charts["result"]["value"]] == [
        ("citations", 3),  # ada: three observations
        ("h_index", 2),
        ("citations_per_year", 3),  # three years, three bars
        ("citations", 4),  # the demo: 754, 790, 795, 813
        ("h_index", 2),
    ]
    for chart in charts["result"]["value"]:
        assert chart["drawn"] == chart["expected"] and chart["width"] > 300, chart

    size = chromium.call("Page.getLayoutMetrics", session)["cssContentSize"]
    shot = chromium.call(
        "Page.captureScreenshot",
        session,
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    )
    screenshot = tmp_path / "demo-report.png"
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(screenshot, ARTIFACTS / "demo-report.png")
    assert chart_pixels(screenshot) > 2000, "the charts are not painted"

    problems = [
        event["params"]
        for event in chromium.events
        if event["method"] == "Runtime.exceptionThrown"
        or (event["method"] == "Runtime.consoleAPICalled" and event["params"]["type"] == "error")
        or (event["method"] == "Log.entryAdded" and event["params"]["entry"]["level"] == "error")
    ]
    assert problems == []
    requested = [
        event["params"]["request"]["url"]
        for event in chromium.events
        if event["method"] == "Network.requestWillBeSent"
    ]
    assert requested and all(url.startswith(("file://", "data:")) for url in requested), requested


def chart_pixels(png: Path) -> int:
    """How many pixels of the screenshot are (nearly) the charts' colour."""
    from PIL import Image

    red, green, blue = (int(CHART_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    return sum(
        count for count, (r, g, b) in colours if abs(r - red) + abs(g - green) + abs(b - blue) < 30
    )
