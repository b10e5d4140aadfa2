"""The shortcuts of the card and stats readings read as the plain versions they replace.

`_Site.absolute` settles an http(s) href with a plain host before its other tests,
`_pair_loose` keeps the free values in a set and leaves rows of one token out of its table
pass, and `_authors` tests only the lines longer than a name for running text. Each is
checked here against the version first written.
"""

from __future__ import annotations

from itertools import pairwise
from urllib.parse import urljoin, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.sources import profile_page as pp


def absolute(site: pp._Site, href: str) -> str | None:
    """`_Site.absolute` as first written: the links that lead nowhere ruled out first, and
    those that do not parse after."""
    href = href.strip()
    if not href or href.startswith("#") or href.lower().startswith(("javascript:", "mailto:")):
        return None
    try:
        urlsplit(href)
    except ValueError:
        return None
    if not site.base or href.startswith(("https://", "http://")):
        return href
    if site.origin and href.startswith("/") and not href.startswith("//"):
        return site.origin + href
    return urljoin(site.base, href)


HREF_PIECES = [
    "https://", "http://", "HTTPS://", "http:", "//", "/", "#", "?", "javascript:", "JavaScript:",
    "mailto:", "a@b.c", "[", "]", "[::1]", "arxiv.org/abs/2301.00001", "paper", " ", "\t", "x",
    "\u0130",
]  # fmt: skip
hrefs = st.lists(st.sampled_from(HREF_PIECES) | st.text(max_size=3), max_size=6).map("".join)
sites = st.sampled_from(
    [None, "https://paperscope.example/u/x", "http://example.org", "file:///tmp/page.html"]
).map(pp._Site.of)


@settings(max_examples=3000, deadline=None)
@given(sites, hrefs)
def test_hrefs_resolve_as_first_written(site: pp._Site, href: str) -> None:
    assert site.absolute(href) == absolute(site, href)


def pair_loose(loose: list[tuple[int, pp._StatToken | None]]) -> list[pp._Stat]:
    """`_pair_loose` as first written: every run in the table pass, a test of each value."""
    tokens = [token for _, token in loose]
    used: set[int] = set()
    stats: list[pp._Stat] = []

    def pair(label_at: int, number_at: int) -> None:
        label, number = tokens[label_at], tokens[number_at]
        if isinstance(label, pp._Label) and isinstance(number, pp._Number):
            used.update((label_at, number_at))
            stats.append(pp._Stat(label.metric, number.value, number.percent, loose[label_at][0]))

    runs = pp._same_kind_runs(tokens)
    for first, second in pairwise(runs):
        if first.stop == second.start and len(first) == len(second) >= 2:
            for a, b in zip(first, second, strict=True):
                pair(*((a, b) if isinstance(tokens[a], pp._Label) else (b, a)))

    def free_number(i: int) -> bool:
        return 0 <= i < len(tokens) and i not in used and isinstance(tokens[i], pp._Number)

    labels = [i for i, token in enumerate(tokens) if isinstance(token, pp._Label) and i not in used]
    after = sum(1 for i in labels if free_number(i + 1))
    before = sum(1 for i in labels if free_number(i - 1))
    for step in (1, -1) if after >= before else (-1, 1):
        for i in labels:
            if i not in used and free_number(i + step):
                pair(i, i + step)
    return stats


tokens = st.one_of(
    st.none(),
    st.sampled_from(list(pp._LABELS.values())),
    st.builds(pp._Number, st.integers(0, 9), st.booleans()),
)
# Tokens in runs, so that rows of labels over rows of values (tables) come up often.
token_runs = st.lists(st.tuples(tokens, st.integers(1, 4)), max_size=8).map(
    lambda runs: [token for token, count in runs for _ in range(count)]
)


@settings(max_examples=3000, deadline=None)
@given(token_runs, st.lists(st.integers(0, 2), min_size=32, max_size=32))
def test_loose_tokens_pair_as_first_written(
    loose_tokens: list[pp._StatToken | None], line_steps: list[int]
) -> None:
    lines = [sum(line_steps[: index + 1]) for index in range(len(loose_tokens))]
    loose = list(zip(lines, loose_tokens, strict=True))
    assert pp._pair_loose(loose) == pair_loose(loose)


def authors(text: str) -> tuple[list[str], bool] | None:
    """`_authors` as first written: the tests that reject running text, on every line."""
    first_comma = text.find(",")
    if text.count(" ", 0, first_comma if first_comma >= 0 else len(text)) > 2 * pp._MAX_NAME_WORDS:
        return None
    if len(text) > pp._MAX_AUTHORS_LINE or len(text) > pp._MAX_NAME_LENGTH * (text.count(",") + 1):
        return None
    return pp._plain_authors(text) or pp._authors_by_rules(text)


NAME_PIECES = [
    "Ann", "Lee", "Bob", "Kim", "J.", "O'Neil", "Smith-Jones", "van", "der", "García", "x",
    "and", "the", "of", "et", "al.", "Others", "…", "...", "&", ";", ",", " ", "  ", ", ",
    " and ", " et al.",
]  # fmt: skip
# Lines of up to a few dozen pieces: short lines (the shortcut's) with many spaces among them.
name_lines = st.lists(st.sampled_from(NAME_PIECES) | st.text(max_size=2), max_size=24).map(
    lambda pieces: " ".join(pieces).strip()
)


@settings(max_examples=3000, deadline=None)
@given(name_lines)
def test_author_lines_read_as_first_written(text: str) -> None:
    assert pp._authors(text) == authors(text)
