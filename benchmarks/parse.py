"""Parse: time per page of tracker's parsers beside the BeautifulSoup baseline, on saved pages."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import bs4_baseline
from benchmarks.report import Section, ms, ratio
from tracker.records import ProfileRecord
from tracker.sources import profile_page, scholar

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
FETCHED_AT = datetime(2026, 2, 16, 18, 0, tzinfo=UTC)
SCHOLAR_URL = "https://scholar.google.com/citations?user=amIMrIEAAAAJ&hl=en&cstart=0&pagesize=100"
TARGET_SPEEDUP = 10.0
TARGET_SECONDS = 0.002

Parser = Callable[[str], ProfileRecord]


@dataclass(frozen=True)
class Case:
    name: str
    short: str  # for the targets line
    fixture: Path
    ours: Parser
    baseline: Parser
    record_fields: tuple[str, ...]
    paper_fields: tuple[str, ...]


CASES = (
    Case(
        "profile page",
        "profile",
        FIXTURES / "profile_page" / "semantic.html",
        lambda html: profile_page.SOURCE.parse(html, url=None, fetched_at=FETCHED_AT),
        lambda html: bs4_baseline.parse_profile_page(html, url=None, fetched_at=FETCHED_AT),
        bs4_baseline.RECORD_FIELDS,
        bs4_baseline.PROFILE_PAPER_FIELDS,
    ),
    Case(
        "Google Scholar page",
        "scholar",
        FIXTURES / "scholar" / "gs_amIMrIEAAAAJ_2026-02-16.html",
        lambda html: scholar.SOURCE.parse(html, url=SCHOLAR_URL, fetched_at=FETCHED_AT),
        lambda html: bs4_baseline.parse_scholar(html, url=SCHOLAR_URL, fetched_at=FETCHED_AT),
        bs4_baseline.SCHOLAR_RECORD_FIELDS,
        bs4_baseline.SCHOLAR_PAPER_FIELDS,
    ),
)


def run(*, quick: bool) -> Section:
    rounds, per_round = (3, 5) if quick else (5, 15)
    section = Section(
        "Parse: median time per page",
        f"saved pages from tests/fixtures; best of {rounds} rounds of {per_round} parses each, "
        f"ours and BeautifulSoup ({bs4_baseline.PARSER}) interleaved",
    )
    for case in CASES:
        html = case.fixture.read_text(encoding="utf-8")
        bs4_baseline.check_same(
            case.ours(html), case.baseline(html), case.record_fields, case.paper_fields
        )
        ours, baseline = _interleaved(case, html, rounds, per_round)
        speedup = baseline / ours
        section.check(
            f"{case.name} ({case.fixture.name}, {len(html) // 1024} KiB)",
            ms(ours),
            f"{ms(baseline)} (bs4)",
            f"<= {TARGET_SECONDS * 1000:g} ms",
            ours <= TARGET_SECONDS,
            f"parse {case.short} < 2 ms",
        )
        section.check(
            f"{case.name}: speed-up over bs4",
            ratio(speedup),
            "1.0x",
            f">= {TARGET_SPEEDUP:g}x",
            speedup >= TARGET_SPEEDUP,
            f"parse {case.short} 10x bs4",
        )
    return section


def _interleaved(case: Case, html: str, rounds: int, per_round: int) -> tuple[float, float]:
    """The best round's median seconds per page, for ours and the baseline."""
    ours: list[float] = []
    baseline: list[float] = []
    for _ in range(rounds):
        ours.append(_median(case.ours, html, per_round))
        baseline.append(_median(case.baseline, html, per_round))
    return min(ours), min(baseline)


def _median(parse: Parser, html: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        parse(html)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
