"""Every parser against hostile input: mutated real pages and random bytes.

A parser either returns a record or raises our typed errors (`ParseError`, its
`LayoutChangedError`, or `BlockedError`), never anything else, and within a second per page
(a bound against pathological regexes, not a performance figure). Its `next_url` may only
ever point at the host the page came from: a page cannot send tracker anywhere else.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tracker.errors import BlockedError, ParseError
from tracker.fetch import decode_body
from tracker.records import ProfileRecord
from tracker.sources import SOURCES
from tracker.sources.base import Page

FIXTURES = Path(__file__).parent / "fixtures"
FETCHED_AT = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
TIME_BOUND = 1.0  # seconds per parse
LARGEST_SEED = 200_000  # the 1.3 MB Scholar sign-in page would make every example slow

# Per source: the URL its pages are fetched from, and the real pages to mutate.
SEEDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "scholar": (
        "https://scholar.google.com/citations?user=LZ5D_p4AAAAJ&hl=en&cstart=0&pagesize=100",
        ("scholar/*.html",),
    ),
    "openalex": ("https://api.openalex.org/authors/A5017898742", ("openalex/*.json",)),
    "semantic_scholar": (
        "https://api.semanticscholar.org/graph/v1/author/2262347?fields=name,paperCount",
        ("semanticscholar/*.json",),
    ),
    "arxiv": (
        "https://export.arxiv.org/api/query?search_query=au:del_maestro&start=0&max_results=200",
        ("arxiv/*.xml",),
    ),
    "profile_page": (
        "https://example.org/researchers/hankook-lee",
        ("profile_page/*.html", "profile_page/*.txt"),
    ),
}


def seeds(kind: str) -> list[str]:
    return [
        path.read_text(encoding="utf-8")
        for pattern in SEEDS[kind][1]
        for path in sorted(FIXTURES.glob(pattern))
        if path.stat().st_size <= LARGEST_SEED
    ]


ALL_PAGES = [page for kind in SEEDS for page in seeds(kind)]


Mutation = Callable[[str], str]


@st.composite
def mutation(draw: st.DrawFn) -> Mutation:
    """One edit of a page: cut it, splice in a piece of another, flip characters, drop a tag."""
    where = draw(st.floats(0, 1))
    length = draw(st.integers(1, 2000))
    kind = draw(st.sampled_from(["cut", "splice", "flip", "drop-tag", "drop", "repeat"]))
    other = draw(st.sampled_from(ALL_PAGES))
    junk = draw(st.text(max_size=20))

    def at(text: str) -> int:
        return int(where * len(text))

    def apply(text: str) -> str:
        i = at(text)
        if kind == "cut":
            return text[:i]
        if kind == "splice":
            j = int(where * len(other))
            return text[:i] + other[j : j + length] + text[i:]
        if kind == "flip":
            return text[:i] + junk + text[i + len(junk) :]
        if kind == "drop-tag":
            start = text.find("<", i)
            end = text.find(">", start)
            return text if start < 0 or end < 0 else text[:start] + text[end + 1 :]
        if kind == "drop":
            return text[:i] + text[i + length :]
        return text[:i] + text[i : i + length] * 3 + text[i:]

    return apply


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@st.composite
def json_mutated(draw: st.DrawFn, page: str) -> str:
    """A JSON page with some values swapped for others of any type (NaN and deep nesting too)."""
    document = json.loads(page)
    for _ in range(draw(st.integers(1, 6))):
        parent, key = draw(st.sampled_from(_slots(document)))
        parent[key] = draw(JSON_VALUES)
    return json.dumps(document)


def _slots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON document, depth first."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    slots = []
    for key, value in items:
        slots.append((node, key))
        if isinstance(value, dict | list) and value:
            slots.extend(_slots(value))
    return slots


def hostile_pages(kind: str) -> st.SearchStrategy[str]:
    real = seeds(kind)
    mutated = st.builds(_apply, st.sampled_from(real), st.lists(mutation(), min_size=1, max_size=4))
    random_bytes = st.binary(max_size=4000).map(lambda body: decode_body(body, None))
    strategies = [mutated, random_bytes, st.text(max_size=2000)]
    if real[0].lstrip().startswith("{"):
        strategies.append(st.sampled_from(real).flatmap(json_mutated))
    return st.one_of(strategies)


def _apply(page: str, edits: list[Mutation]) -> str:
    for edit in edits:
        page = edit(page)
    return page


def parse_within_bound(kind: str, text: str) -> ProfileRecord | Exception:
    source = SOURCES[kind]
    url = SEEDS[kind][0]
    started = time.perf_counter()
    try:
        outcome: ProfileRecord | Exception = source.parse_pages(
            [Page(url, text)], fetched_at=FETCHED_AT
        )
    except (ParseError, BlockedError) as error:  # anything else fails the test, with its input
        outcome = error
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_BOUND, f"{kind} took {elapsed:.2f} s on {text[:200]!r}"
    return outcome


def next_page_within_bound(kind: str, text: str) -> str | None:
    url = SEEDS[kind][0]
    started = time.perf_counter()
    try:
        following = SOURCES[kind].next_url(Page(url, text))
    except (ParseError, BlockedError):
        following = None
    assert time.perf_counter() - started < TIME_BOUND
    return following


@pytest.mark.parametrize("kind", SEEDS)
def test_every_source_is_fuzzed(kind: str) -> None:
    assert set(SEEDS) == set(SOURCES) and seeds(kind)


@pytest.mark.parametrize("kind", SEEDS)
@settings(
    max_examples=100,
    deadline=None,  # the time bound is asserted per parse instead
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_parser_returns_a_record_or_a_typed_error(kind: str, data: st.DataObject) -> None:
    text = data.draw(hostile_pages(kind), label="page")
    outcome = parse_within_bound(kind, text)
    event(type(outcome).__name__)  # --hypothesis-show-statistics: how often each came out
    assert isinstance(outcome, ProfileRecord | ParseError | BlockedError)
    if isinstance(outcome, ProfileRecord):
        assert outcome.source == kind


@pytest.mark.parametrize("kind", SEEDS)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_page_cannot_send_tracker_to_another_host(kind: str, data: st.DataObject) -> None:
    text = data.draw(hostile_pages(kind), label="page")
    following = next_page_within_bound(kind, text)
    if following is not None:
        assert urlsplit(following).hostname == urlsplit(SEEDS[kind][0]).hostname, following


@pytest.mark.parametrize("kind", SEEDS)
def test_the_seeds_are_pages_the_parser_reads(kind: str) -> None:
    outcomes = [parse_within_bound(kind, page) for page in seeds(kind)]
    assert any(isinstance(outcome, ProfileRecord) for outcome in outcomes)
