"""Read a researcher's profile page on the paper-aggregator site from its visible text.

The site's markup is unknown to us and changes without notice, so nothing here keys on tags
or classes. The page is read the way a visitor reads it, as lines of text (`text_blocks`):

    Hankook Lee                  name
    LG                           affiliation (optional)
    h-index76, 24papers, ...     stats: label and value in either order, glued or apart
    24 Papers                    papers header
    LGMar 2, 2023Code            card head: arXiv category, date, optional Code badge
    STUNT: Few-shot Tabular ...  title
    Jaehyun Nam, ... et al.      authors
    Learning with few ...        abstract, up to the next card head

Sites vary this, and each variation is read by a rule about the text, not the markup: a
card's title may sit above its head (the line below the head then holds names, not a
title); fields may be labelled ("Authors: ...", an "Abstract" summary line); the stats may
sit in a sidebar below the list; other researchers' stats ("Similar researchers") may show
too, and the profile's are the most complete of them.

Links on a card's lines (its title link, the Code badge, arXiv and DOI links) fill the
link fields. Impossible values are kept and reported in `ProfileRecord.warnings`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

from pydantic import TypeAdapter

from tracker.errors import LayoutChangedError, ParseError
from tracker.metrics import tidy_number
from tracker.records import MetricValue, Paper, ProfileRecord
from tracker.sources.base import SinglePageSource
from tracker.sources.text_blocks import Block, Link, contains, outermost_without, page_blocks

# Punctuation and symbols around a label: "→ Load more", "[Code]", "Sign in >", "</> Code".
_EDGE_PUNCTUATION = " \t!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«»\u2039\u203a←→↗·•…\u2013\u2014"


# The named tuples made once per line or card are made with `tuple.__new__`, which skips the
# Python-level `__new__` that a named tuple's constructor runs: a third of the cost.
_tuple_new = tuple.__new__


def _phrases(text: str) -> frozenset[str]:
    """A set of comma-separated phrases."""
    return frozenset(" ".join(phrase.split()) for phrase in text.split(","))


# ---------------------------------------------------------------------------- stats

_METRIC_BY_INITIAL = {
    "h": "h_index",
    "c": "citations",
    "p": "paper_count",
    "n": "novelty_percent",
    "a": "ai_score",
}
# Optional parts of the patterns in this module are written `(?:x|)` rather than `(?:x)?`: the
# same match, which the re module finds faster (an empty alternative costs less than a repeat).
#
# One token of a stats line, read with `findall`, which hands back every token's groups from
# one call; `other` is the rest of a line from a character that begins no token.
_STAT_TOKEN = re.compile(
    r"(?P<label>h[\s-]?index|citations?|cited\s+by|papers?|publications?"
    r"|novelty(?:\s+score|)|ai[\s-]?score)"
    r"|(?P<number>\d{1,3}(?:[,.\u202f']\d{3})+(?!\d)|\d+(?:\.\d+|))"
    r"(?:(?P<suffix>\s*(?:%|[km]\b))|)"
    r"|(?P<break>\s*[·•|,]\s*)"
    r"|[\s:()\[\]/\u2013\u2014-]+"
    r"|(?P<other>.+)",
    re.IGNORECASE | re.DOTALL,
)
# The characters a token of _STAT_TOKEN can begin with, besides digits and whitespace: the
# initials of the labels (the keys of _METRIC_BY_INITIAL, either case) and the separators.
_STAT_INITIALS = frozenset(
    "".join(_METRIC_BY_INITIAL) + "".join(_METRIC_BY_INITIAL).upper() + ":()[]/\u2013\u2014-·•|,"
)
# The characters that may follow each label's initial (i, with IGNORECASE, also matches the
# dotted and dotless I), whitespace too after an h: a line that begins with a letter and goes on
# with another holds no stats.
_LETTER_I = "iI\u0130\u0131"  # as IGNORECASE matches it
_LABEL_SECOND = {"h": "-" + _LETTER_I, "c": _LETTER_I, "p": "aAuU", "n": "oO", "a": _LETTER_I}
_LABEL_SECOND |= {initial.upper(): second for initial, second in _LABEL_SECOND.items()}
_ISO_DATE = re.compile(r"\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}")
_THOUSANDS = re.compile(r"\d{1,3}(?:[,.\u202f']\d{3})+")
_NON_DIGIT = re.compile(r"\D")
_MULTIPLIERS = {"k": 1_000, "m": 1_000_000}
_MAX_STAT_LINE = 100
_STATS_GAP = 2  # lines between two runs of stats that still belong together


class _Label(NamedTuple):
    metric: str


# Shared: a label token holds nothing but its metric.
_LABELS = {initial: _Label(metric) for initial, metric in _METRIC_BY_INITIAL.items()}


class _Number(NamedTuple):
    value: MetricValue
    percent: bool


_StatToken = _Label | _Number
# A stats line is a list of groups (split at "·", "|", ","), each a list of tokens.
_StatLine = list[list[_StatToken]]


class _Stat(NamedTuple):
    """One label paired with its value; `line` is where the label is."""

    metric: str
    value: MetricValue
    percent: bool
    line: int


def _stat_line(text: str) -> _StatLine | None:
    """The labels and numbers of a line made only of them, else None."""
    if len(text) > _MAX_STAT_LINE:
        return None
    first = text[:1]
    if not (first in _STAT_INITIALS or first.isdecimal() or first.isspace()):
        return None  # most lines (titles, names), settled before the regex tries every token
    # A count on a line of its own (a `<dd>`) is one token, read without the regex at a third
    # of its cost.
    if text.isdecimal():
        return [[_tuple_new(_Number, (int(text), False))]]
    groups: _StatLine = [[]]
    has_label = False
    for label, number, suffix, separator, other in _STAT_TOKEN.findall(text):
        if label:
            groups[-1].append(_LABELS[label[0].lower()])
            has_label = True
        elif separator:
            groups.append([])
        elif number:
            groups[-1].append(_number(number, suffix))
        elif other:
            return None
    if not has_label and ("-" in text or "/" in text) and _ISO_DATE.match(text):
        return None  # a date, not a row of values
    if len(groups) == 1:  # the common case: no separators
        return groups if groups[0] else None
    return [group for group in groups if group] or None


def _number(digits: str, suffix: str) -> _Number:
    if not suffix and digits.isdecimal():  # the common case: a plain count
        return _tuple_new(_Number, (int(digits), False))
    suffix = suffix.strip().lower()
    value = float(_NON_DIGIT.sub("", digits) if _THOUSANDS.fullmatch(digits) else digits)
    value *= _MULTIPLIERS.get(suffix, 1)
    return _Number(tidy_number(value), percent=suffix == "%")


def _has(line: _StatLine | None, kind: type[_Label] | type[_Number]) -> bool:
    return line is not None and any(isinstance(t, kind) for group in line for t in group)


def _stats_runs(lines: Sequence[_StatLine | None]) -> list[range]:
    """Runs of consecutive stats lines that hold both labels and values."""
    runs: list[range] = []
    start = None
    has_label = has_number = False
    for index, line in enumerate((*lines, None)):
        if line is None:
            if start is not None and has_label and has_number:
                runs.append(range(start, index))
            start = None
            has_label = has_number = False
            continue
        if start is None:
            start = index
        for group in line:
            for token in group:
                if isinstance(token, _Label):
                    has_label = True
                else:
                    has_number = True
    return runs


def _stats_span(
    lines: Sequence[_StatLine | None], runs: Sequence[range], list_at: int
) -> range | None:
    """The lines of the profile's stats, among those of every researcher the page shows.

    Other researchers ("Similar researchers", "Co-authors") come with fewer stats than the
    profile, or sit farther from its paper list (which begins at line `list_at`): the
    profile's stats are the most complete, and of those the last above the list, else the
    first below it.
    """
    spans = [
        _stats_span_around(lines, runs, index)
        for index, run in enumerate(runs)
        if "h_index" in _labels(lines, run)
    ]

    def rank(span: range) -> tuple[int, bool, int]:
        above_list = span.stop <= list_at
        return len(_labels(lines, span)), above_list, span.start if above_list else -span.start

    return spans[0] if len(spans) == 1 else max(spans, key=rank, default=None)


def _stats_span_around(
    lines: Sequence[_StatLine | None], runs: Sequence[range], first: int
) -> range:
    """The run `first` (one with an h-index) and the runs close to it.

    Runs a line or two apart (a tooltip between two stats) belong together, but a run before
    the h-index that repeats one of its metrics is something else, such as a "Papers 12"
    counter in the navigation above the researcher's name.
    """
    last = first
    seen = _labels(lines, runs[first])
    while first > 0 and runs[first].start - runs[first - 1].stop <= _STATS_GAP:
        earlier = _labels(lines, runs[first - 1])
        if earlier & seen:
            break
        seen |= earlier
        first -= 1
    while last + 1 < len(runs) and runs[last + 1].start - runs[last].stop <= _STATS_GAP:
        last += 1
    return range(runs[first].start, runs[last].stop)


def _labels(lines: Sequence[_StatLine | None], run: range | None = None) -> set[str]:
    """The metrics the stats lines name: all of them, or those of a run."""
    return {
        token.metric
        for line in (lines if run is None else lines[run.start : run.stop])
        if line is not None
        for group in line
        for token in group
        if isinstance(token, _Label)
    }


def _looks_like_profile(lines: Sequence[_StatLine | None]) -> bool:
    """Whether the page names the profile stats: an h-index and papers or citations."""
    labels = _labels(lines)
    return "h_index" in labels and bool(labels & {"citations", "paper_count"})


def _pair_stats(lines: Sequence[_StatLine | None], offset: int) -> list[_Stat]:
    """Pair labels with values, whichever side of the label the values are on.

    A group holding one label and one value pairs by itself. The rest (labels and values on
    lines of their own, as in `<dt>`/`<dd>` or split spans, or a row of labels over a row of
    values) are paired by position.
    """
    stats: list[_Stat] = []
    loose: list[tuple[int, _StatToken | None]] = []  # None keeps unrelated tokens apart
    for index, line in enumerate(lines, start=offset):
        for group in line or [[]]:
            if len(group) < 2:  # a label or a value on its own (as in `<dt>`/`<dd>`), or nothing
                loose.append((index, group[0] if group else None))
                continue
            labels = [t for t in group if isinstance(t, _Label)]
            numbers = [t for t in group if isinstance(t, _Number)]
            if len(labels) == 1 and len(numbers) == 1:
                stats.append(_tuple_new(_Stat, (labels[0].metric, *numbers[0], index)))
                loose.append((index, None))
            else:
                loose.extend((index, token) for token in group)
    stats.extend(_pair_loose(loose))
    return sorted(stats, key=lambda stat: stat.line)


def _pair_loose(loose: Sequence[tuple[int, _StatToken | None]]) -> list[_Stat]:
    tokens = [token for _, token in loose]
    used: set[int] = set()
    stats: list[_Stat] = []

    def pair(label_at: int, number_at: int) -> None:
        label, number = tokens[label_at], tokens[number_at]
        if isinstance(label, _Label) and isinstance(number, _Number):
            used.update((label_at, number_at))
            stats.append(_tuple_new(_Stat, (label.metric, *number, loose[label_at][0])))

    # A row of labels next to a row of as many values: a table with a header row. Rows of one
    # token (labels and values taking turns, the usual `<dt>`/`<dd>`) are none, and are left out
    # before the rows are paired.
    rows = [run for run in _same_kind_runs(tokens) if len(run) >= 2]
    for first, second in pairwise(rows):
        if first.stop == second.start and len(first) == len(second):
            for a, b in zip(first, second, strict=True):
                pair(*((a, b) if isinstance(tokens[a], _Label) else (b, a)))

    # Otherwise each label takes the value on the side that explains most labels. The values
    # still free are kept in a set, which answers for an index out of range too.
    free = {i for i, token in enumerate(tokens) if isinstance(token, _Number) and i not in used}
    labels = [i for i, token in enumerate(tokens) if isinstance(token, _Label) and i not in used]
    after = sum(1 for i in labels if i + 1 in free)
    before = sum(1 for i in labels if i - 1 in free)
    for step in (1, -1) if after >= before else (-1, 1):
        for i in labels:
            if i not in used and i + step in free:
                free.discard(i + step)
                pair(i, i + step)
    return stats


def _same_kind_runs(tokens: Sequence[_StatToken | None]) -> list[range]:
    runs: list[range] = []
    start = 0
    for index in range(1, len(tokens) + 1):
        if index == len(tokens) or type(tokens[index]) is not type(tokens[start]):
            if tokens[start] is not None:
                runs.append(range(start, index))
            start = index
    return runs


# ---------------------------------------------------------------------------- labelled fields

# Some sites label a card's fields ("Authors: ...", "Abstract: ..."), or put a label on a line
# of its own (an "Abstract" summary that opens the abstract). The label is not data.
_FIELD_BY_LABEL = {
    **dict.fromkeys(("title",), "title"),
    **dict.fromkeys(("author", "authors", "author(s)"), "authors"),
    **dict.fromkeys(("abstract", "summary", "tl;dr", "tldr"), "abstract"),
    **dict.fromkeys(("subject", "subjects", "category", "categories"), "category"),
    **dict.fromkeys(("date", "submitted", "published", "published on"), "date"),
}
_FIELD_LABEL = re.compile(
    r"\s*(?P<label>title|author(?:s|\(s\)|)|abstract|summary|tl;?dr|subjects?"
    r"|categor(?:y|ies)|date|submitted|published(?:\s+on|))\s*(?::\s*|$)",
    re.IGNORECASE,
)
# What a label can begin with: IGNORECASE matches the long s (U+017F) as an s.
_FIELD_INITIALS = frozenset("tTaAsS\u017fcCdDpP")
_HEAD_FIELDS = frozenset({"category", "date"})
_MAX_LABEL = 16  # characters up to the colon; a label alone on its line is no longer


class _Field(NamedTuple):
    name: str  # title, authors, abstract, category or date
    value: str  # empty for a label on a line of its own


def _field(text: str) -> _Field | None:
    """The field a line's label names and the value after it, if the line starts with one."""
    if len(text) > _MAX_LABEL and ":" not in text[:_MAX_LABEL]:
        return None  # the common case, settled before the match
    first = text[:1]
    if first not in _FIELD_INITIALS and not first.isspace():
        return None  # a line that begins with no label's initial
    match = _FIELD_LABEL.match(text)
    if match is None:
        return None
    # A label read case-insensitively may spell no field: "tİtle", with a dotted capital I.
    name = _FIELD_BY_LABEL.get(" ".join(match.group("label").casefold().split()))
    return None if name is None else _tuple_new(_Field, (name, text[match.end() :]))


# ---------------------------------------------------------------------------- card heads

# Each alternation of names is guarded by a lookahead for the initials it could begin with,
# so that a line which is no card head (most short lines) fails it with one test instead of
# one per name; the guards change nothing else.
_MONTH = (
    r"(?=(?i:[jfmasond]))"
    r"(?i:jan(?:uary|)|feb(?:ruary|)|mar(?:ch|)|apr(?:il|)|may|june?|july?|aug(?:ust|)"
    r"|sep(?:t(?:ember|)|)|oct(?:ober|)|nov(?:ember|)|dec(?:ember|))\.?"
)
_DAY = r"\d{1,2}(?!\d)(?:st|nd|rd|th|)"
_YEAR = r"\d{4}(?!\d)"
_DATE = (
    r"(?P<iso_year>\d{4})[-/](?P<iso_month>\d{1,2})[-/](?P<iso_day>\d{1,2})(?!\d)"
    rf"|(?P<month1>{_MONTH})\s*(?P<day1>{_DAY})(?:,?\s*(?P<year1>{_YEAR})|)"
    rf"|(?P<day2>{_DAY})\s*(?P<month2>{_MONTH})(?:,?\s*(?P<year2>{_YEAR})|)"
)
_ARXIV_ARCHIVE = (
    r"(?=[aceghmnpqs])"
    r"(?:astro-ph|cond-mat|gr-qc|hep-ex|hep-lat|hep-ph|hep-th|math-ph|nlin|nucl-ex|nucl-th"
    r"|physics|quant-ph|cs|math|stat|eess|econ|q-bio|q-fin)"
)
# A bare badge is 2-4 capitals not followed by a lowercase letter, so "LGMar" reads LG + Mar.
_CATEGORY = (
    rf"{_ARXIV_ARCHIVE}\.(?:[A-Z]{{2}}|[a-z]{{2,}}(?:-[a-z]{{2,}}|))"
    rf"|{_ARXIV_ARCHIVE}(?![\w.])"
    r"|[A-Z]{2,4}(?![a-z])"
)
_HEAD_SEPARATOR = r"[\W_]*"  # spaces, punctuation, and any symbol or emoji used as an icon
_CODE = r"(?i:code)(?![a-z])"
# What a head's first badge begins with: a digit (a date), two capitals (a category), or the
# initial of "code", a month or an archive. Tested first, it settles most other lines at once.
_HEAD_START = r"(?=[\W_]*+(?:\d|[A-Z]{2}|(?i:[cjfmasond])|[eghpq]))"
# Category, date and Code badge, each optional, glued or apart, in the usual order; the
# category may also follow the date, and the Code badge may come first.
_HEAD_LINE = re.compile(
    rf"{_HEAD_START}"
    rf"{_HEAD_SEPARATOR}(?:(?P<code_first>{_CODE}){_HEAD_SEPARATOR}|)"
    rf"(?:(?P<category>{_CATEGORY}){_HEAD_SEPARATOR}|)"
    rf"(?:(?:{_DATE}){_HEAD_SEPARATOR}|)"
    rf"(?:(?P<category_after>{_CATEGORY}){_HEAD_SEPARATOR}|)"
    rf"(?:(?P<code>{_CODE}){_HEAD_SEPARATOR}|)"
)
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# The usual numbers of a date as written: a dict lookup costs a fraction of int() on a string.
# Any other (no zero has a place here, so `or` is safe) is read by int().
_DATE_NUMBERS = {
    **{f"{n}": n for n in range(1, 32)},
    **{f"{n:02}": n for n in range(1, 10)},
    **{f"{n}": n for n in range(1900, 2100)},
}
_MAX_HEAD_LINE = 60
_MAX_CATEGORY_LINE = 24  # a longer head shows a date (digits) or the Code badge
_DIGIT = re.compile(r"\d")
_ASCII_DIGITS = b"0123456789"
# Capitalised link labels that sit where badges do but are not arXiv categories.
_NOT_CATEGORIES = frozenset({"API", "BIB", "DOI", "HTML", "PDF", "PPT", "URL", "WEB"})


# A date as a card head shows it: year (None when not shown), month, day. A plain tuple, the
# cheapest to make.
_DateText = tuple[int | None, int, int]


class _Head(NamedTuple):
    """What a card-head line says: any of category badge, date and Code badge."""

    category: str | None
    date: _DateText | None
    code: bool


def _head(text: str) -> _Head | None:
    """What a line made only of card-head badges says, else None."""
    if len(text) > _MAX_HEAD_LINE:
        return None
    if len(text) > _MAX_CATEGORY_LINE and not _shows_date_or_code(text):
        return None  # the common case, a title or names, settled before the costly match
    if text.isdecimal():
        return None  # a count: a date needs a separator or a month, a badge letters
    match = _HEAD_LINE.fullmatch(text)
    if match is None:
        if text.strip(_EDGE_PUNCTUATION).casefold() == "code":  # "</> Code", "{ } Code"
            return _Head(None, None, code=True)
        return None
    (
        code_first,
        category,
        iso_year,
        iso_month,
        iso_day,
        month1,
        day1,
        year1,
        day2,
        month2,
        year2,
        category_after,
        code,
    ) = match.groups()  # one call for all: the pattern's only capturing groups are these
    category = category or category_after
    if iso_year:
        numbers = _DATE_NUMBERS
        when: _DateText | None = (
            numbers.get(iso_year) or int(iso_year),
            numbers.get(iso_month) or int(iso_month),
            numbers.get(iso_day) or int(iso_day),
        )
    elif month_name := month1 or month2:
        year_text, day_text = year1 or year2, day1 or day2
        when = (
            int(year_text) if year_text else None,
            _MONTH_NUMBERS[month_name[:3].casefold()],  # casefold: a long s (U+017F) is an s
            int(day_text.rstrip("stndrh")),
        )
    else:
        when = None
    has_code = code is not None or code_first is not None
    if category in _NOT_CATEGORIES or (category is None and when is None and not has_code):
        return None
    return _tuple_new(_Head, (category, when, has_code))


def _shows_date_or_code(text: str) -> bool:
    """Whether a line holds a digit or the word "code".

    Two scans, where one regex with both alternatives would try each at every position. In
    an ASCII line, the digits are looked for by deleting them from its bytes, which is about
    twice as fast as the regex's scan.
    """
    if text.isascii():
        data = text.encode()
        has_digit = len(data.translate(None, _ASCII_DIGITS)) != len(data)
    else:
        has_digit = _DIGIT.search(text) is not None
    return has_digit or "code" in text.lower()


def _card_head(block: Block, labelled: _Field | None) -> _Head | None:
    """The card head on a line; a lone link ("PDF", "DOI") is not a category badge.

    A labelled category or date ("Subjects: LG", "Published: 2 Mar 2023") is read without
    its label (`labelled`, the line's `_field`); a line labelled as another field is no head.
    """
    text = block.text
    if labelled is not None:
        if labelled.name not in _HEAD_FIELDS:
            return None
        text = labelled.value
    head = _head(text)
    if head is None or head.date is not None or head.code:
        return head
    return None if any(link.text == text for link in block.links) else head


def _resolve_date(when: _DateText, today: date) -> date | None:
    """The calendar date, reading a date without a year as the latest one not after `today`."""
    shown_year, month, day = when
    if shown_year is not None:
        return _date_or_none(shown_year, month, day)
    for year in range(today.year, today.year - 8, -1):  # 8 years always hold a 29 February
        candidate = _date_or_none(year, month, day)
        if candidate is not None and candidate <= today:
            return candidate
    return None


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# ---------------------------------------------------------------------------- site chrome

_CHROME_PHRASES = _phrases(
    """
    home, explore, trending, search, discover, browse, feed, dashboard, menu, sign in,
    sign up, sign out, log in, log out, login, logout, register, join, create account,
    about, about us, blog, careers, jobs, press, team, contact, contact us, help, faq,
    support, docs, api, status, pricing, changelog, sitemap, feedback, settings,
    notifications, account, privacy, privacy policy, terms, terms of service, terms of
    use, legal, imprint, cookies, cookie policy, cookie settings, all rights reserved,
    accept, accept all, reject, reject all, decline, manage preferences, got it, ok,
    close, dismiss, load more, show more, see more, view more, show all, view all, see
    all, show less, read more, more, back to top, skip to content, skip to main content,
    toggle navigation, next, previous, follow, following, unfollow, share, save, saved,
    bookmark, report, cite, copy link, subscribe, newsletter, twitter, x, linkedin,
    github, discord, mastodon, bluesky, youtube, rss, dark mode, light mode, theme,
    language, english
    """
)
_CHROME_SEPARATORS = re.compile(r"\s*[|·•/\u2013\u2014]\s*|\s{2,}")
_MAX_CHROME_LINE = 200


def _is_chrome(block: Block) -> bool:
    """Site navigation, footer, cookie banner or button text: never profile data."""
    text = block.text
    if len(text) > _MAX_CHROME_LINE:
        return False
    # Most lines are ASCII: folded by the cheaper lower(), the same for them, and holding none
    # of the marks beyond ASCII looked for below.
    is_ascii = text.isascii()
    folded = text.lower() if is_ascii else text.casefold()
    if folded.strip(_EDGE_PUNCTUATION) in _CHROME_PHRASES:
        return True
    if (
        folded.startswith(("copyright", "(c) "))
        or "cookie" in folded
        or (not is_ascii and "©" in folded)
    ):
        return True
    # Whether `_CHROME_SEPARATORS` could split the line: each `in` is a fast scan, where a set
    # test of every character costs more.
    if (
        "|" in folded
        or "/" in folded
        or "  " in folded
        or (
            not is_ascii
            and ("·" in folded or "•" in folded or "\u2013" in folded or "\u2014" in folded)
        )
    ) and _all_chrome(_CHROME_SEPARATORS.split(folded)):
        return True
    links = block.links
    # A line that is one link (a title) has been read above as that link's text.
    return bool(links) and links[0].text != text and _is_row_of_chrome_links(folded, links)


def _is_row_of_chrome_links(folded: str, links: Sequence[Link]) -> bool:
    """Links glued into one line by the markup ("HomeExploreTrending") read as their texts."""
    if links[0].text.casefold().strip(_EDGE_PUNCTUATION) not in _CHROME_PHRASES:
        return False  # the common case, a title link, settled before folding every label
    labels = [link.text.casefold() for link in links]
    if not _all_chrome(labels):
        return False
    rest = folded
    for label in labels:
        rest = rest.replace(label, " ", 1)
    return not rest.strip(_EDGE_PUNCTUATION)


def _all_chrome(pieces: list[str]) -> bool:
    phrases = [piece.strip(_EDGE_PUNCTUATION) for piece in pieces]
    phrases = [phrase for phrase in phrases if phrase]
    return bool(phrases) and all(phrase in _CHROME_PHRASES for phrase in phrases)


# ---------------------------------------------------------------------------- names and prose

_ET_AL_ENDING = re.compile(r"(?:et\.? al\.?|and others|…|\.\.\.)$", re.IGNORECASE)
# The last character of any match of _ET_AL_ENDING (U+017F, the long s, matches "s" too).
_ET_AL_LAST_CHARACTERS = ("l", "L", "s", "S", "\u017f", ".", "…")
_NOT_IN_NAMES = re.compile(r"[\d:!?\"(){}\[\]<>=@#/\\|]")
_MAX_AUTHORS_LINE = 2_000
_MAX_NAME_WORDS = 6
_MAX_NAME_LENGTH = 60  # "Ann Lee and Bob Kim" is one comma-separated part with two names
# The usual authors line, "Ann Lee, Bob Kim-Park, Cy O'Neil et al.": names of capitalised
# words separated by ", ". Its reading is settled by one regex (see `_plain_authors`), whose
# repeats are possessive (`*+`): giving back a word or a name could never lead to a match, and
# not trying settles the other lines (titles, abstracts) at their first mismatch.
_NAME_WORD = r"[A-Z][A-Za-z'-]*+"
_PLAIN_NAME = rf"{_NAME_WORD}(?: {_NAME_WORD}){{0,{_MAX_NAME_WORDS - 1}}}+"
_PLAIN_AUTHORS = re.compile(rf"{_PLAIN_NAME}(?:, {_PLAIN_NAME})*+(?: et al\.|)")
_AUTHOR_SEPARATORS = (",", ";", "&", " and ", "et al", "…", "...")
_NAME_PARTICLES = _phrases(
    "al, bin, da, de, del, della, der, di, dos, du, el, ibn, la, le, van, von, y"
)
_MIN_PARAGRAPH = 200  # characters; longer than any title
_ORGANISATION_WORDS = _phrases(
    """
    university, institute, institution, college, school, academy, laboratory,
    laboratories, lab, labs, research, center, centre, department, inc, inc., corp,
    corp., ltd, ltd., llc, company, group, foundation, hospital, technology,
    technologies, ai
    """
)


def _split_authors(text: str) -> tuple[list[str], bool]:
    """The names on an authors line and whether it ends in `et al.` (a truncated list)."""
    text = text.rstrip()
    ending = None
    if text.endswith(_ET_AL_LAST_CHARACTERS):  # settles most lists before the regex
        ending = _ET_AL_ENDING.search(text, max(len(text) - 12, 0))
    if ending is not None:
        text = text[: ending.start()]
    # Names are separated by ",", ";", "&" or " and "; str.replace is cheaper than a regex split.
    parts = text.replace(";", ",").replace("&", ",").replace(" and ", ",").split(",")
    return [name for part in parts if (name := part.strip())], ending is not None


def _authors(text: str) -> tuple[list[str], bool] | None:
    """The names on a line and whether the list is truncated, if the line is a list of names."""
    # The tests here settle a line longer than a name (an abstract) at a fraction of the cost
    # of the readings below, which reject it too. A shorter line needs none of them: it is never
    # too long, and a usual authors line (`_PLAIN_AUTHORS`) has no long part; the rules test
    # the other lines for one.
    if len(text) > _MAX_NAME_LENGTH:
        # Running text has a long stretch without a comma, most often before the first one:
        # settled here, before any other test (see `_has_long_part`).
        first_comma = text.find(",")
        stop = first_comma if first_comma >= 0 else len(text)
        if text.count(" ", 0, stop) > 2 * _MAX_NAME_WORDS:
            return None
        # Too long for its names: an abstract with a comma early on.
        if len(text) > _MAX_AUTHORS_LINE or len(text) > _MAX_NAME_LENGTH * (text.count(",") + 1):
            return None
    return _plain_authors(text) or _authors_by_rules(text)


def _plain_authors(text: str) -> tuple[list[str], bool] | None:
    """The names of a usual authors line (`_PLAIN_AUTHORS`), else None: leave it to the rules.

    What `_authors_by_rules` reads from such a line, in a fraction of the time: none of its
    characters is barred, no name is longer than six words or ends in a period, and the only
    separator is ", ". Only the line's length and an ending such as "And Others" (which the
    rules read as a truncated list) remain to be checked.
    """
    if _PLAIN_AUTHORS.fullmatch(text) is None:  # `_authors` has checked the line's length
        return None
    # The line ends in the period of " et al." only if the pattern's ending matched it: no name
    # holds one. A test of the ending costs a fraction of asking the match for its group.
    if text.endswith(" et al."):
        return text[: -len(" et al.")].split(", "), True
    if text.endswith(_ET_AL_LAST_CHARACTERS) and _ET_AL_ENDING.search(text, max(len(text) - 12, 0)):
        return None
    return text.split(", "), False


def _authors_by_rules(text: str) -> tuple[list[str], bool] | None:
    """The names on a line and whether the list is truncated, if the line is a list of names."""
    # Cheap tests first: running text has long stretches without a comma, most often in its
    # first part, which settles an abstract before its commas are counted.
    if len(text) > _MAX_AUTHORS_LINE or _has_long_part(text, 2 * _MAX_NAME_WORDS):
        return None
    if len(text) > _MAX_NAME_LENGTH * (text.count(",") + 1):
        return None
    if _NOT_IN_NAMES.search(text):
        return None
    names, truncated = _split_authors(text)
    if not names:
        return (names, truncated) if truncated else None
    for name in names:
        if not _looks_like_name(name):
            return None
    return names, truncated


def _has_long_part(text: str, spaces: int) -> bool:
    """Whether a comma-separated part of the line holds more than `spaces` spaces.

    Part by part, without splitting the line: running text fails on its first part.
    """
    start = 0
    while (comma := text.find(",", start)) >= 0:
        if text.count(" ", start, comma) > spaces:
            return True
        start = comma + 1
    return text.count(" ", start) > spaces


def _looks_like_name(name: str) -> bool:
    words = name.split()
    # A name may hold initials ("J. Smith") but does not end a sentence.
    return len(words) <= _MAX_NAME_WORDS and (not name.endswith(".") or len(words[-1]) <= 2)


def _is_author_list(text: str) -> bool:
    """Two or more names (or a list cut short by `et al.`), every word capitalised.

    Stricter than `_authors`, which also accepts a short title ("Learning What and Where
    to Transfer" splits at "and"): a title has lowercase words or is a single phrase.
    """
    if not any(separator in text for separator in _AUTHOR_SEPARATORS):
        return False  # the common case, a title, settled before splitting it
    found = _authors(text)
    if found is None:
        return False
    names, truncated = found
    return (len(names) >= 2 or truncated) and all(
        word[:1].isupper() or word in _NAME_PARTICLES for name in names for word in name.split()
    )


def _is_paragraph(text: str) -> bool:
    """Running sentences, as an abstract: long, or ending like a sentence and not a name list."""
    labelled = _field(text)
    if labelled is not None:
        return labelled.name == "abstract" and bool(labelled.value)
    if len(text) >= _MIN_PARAGRAPH:
        return True
    return text.endswith((".", "!")) and len(text.split()) >= 3 and not _is_author_list(text)


def _looks_like_person(text: str) -> bool:
    """Two to five capitalised words, none of them an organisation's."""
    words = text.split()
    return (
        2 <= len(words) <= 5
        and not _NOT_IN_NAMES.search(text)
        and all(word[:1].isalpha() and not word[:1].islower() for word in words)
        and not any(word.isupper() and len(word) > 1 for word in words)
        and _ORGANISATION_WORDS.isdisjoint(word.casefold() for word in words)
    )


def _is_prose(text: str) -> bool:
    """A paragraph of running text rather than a label, heading or button."""
    if len(text) >= 80:
        return True
    words = len(text.split())
    return words >= 8 or (words >= 3 and text.rstrip()[-1:] in ".!?")


# ---------------------------------------------------------------------------- links and keys

_ARXIV_LINK = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/"
    r"(?P<id>(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?)",
    re.IGNORECASE,
)
_ARXIV_VERSION = re.compile(r"v\d+$")
_DOI_LINK = re.compile(r"doi\.org/(?P<doi>10\.\d{4,9}/[^?#]+)", re.IGNORECASE)
# The host of an absolute URL made of plain characters, as `urlsplit` reads it, in a fraction
# of the time; other URLs are left to `urlsplit`.
_PLAIN_HOST = re.compile(r"https?://([A-Za-z0-9_.:@~-]*)(?=[/?#]|\Z)")
_TRACKING_PARAMETERS = re.compile(r"utm_\w+|ref|source|src|from|fbclid|gclid", re.IGNORECASE)
_NON_ALPHANUMERIC = re.compile(r"[\W_]+")
_ASCII_NON_ALPHANUMERIC_TO_SPACE = bytes(
    code if code < 128 and chr(code).isalnum() else 32 for code in range(256)
)


@dataclass(frozen=True, slots=True)
class _Site:
    """The page's URL, against which the site's relative links resolve."""

    base: str | None
    origin: str | None  # scheme://host, for the common root-relative links

    @classmethod
    def of(cls, url: str | None) -> _Site:
        parts = urlsplit(url) if url else None
        origin = f"{parts.scheme}://{parts.netloc}" if parts and parts.netloc else None
        return cls(url, origin)

    def absolute(self, href: str) -> str | None:
        """The href as an absolute URL; None for links that lead nowhere or do not parse."""
        href = href.strip()
        if _PLAIN_HOST.match(href):  # the common case, settled first
            return href
        if not href or href.startswith("#") or href.lower().startswith(("javascript:", "mailto:")):
            return None
        if self.origin and href.startswith("/") and not href.startswith("//"):
            return self.origin + href
        try:  # a bracket that opens no IPv6 address ("http://[x") does not parse
            urlsplit(href)
        except ValueError:
            return None
        if not self.base or href.startswith(("https://", "http://")):
            return href
        return urljoin(self.base, href)

    def key(self, url: str) -> str:
        """The paper link as a key: its path (with the host when off-site), minus tracking."""
        if self.origin and url.startswith(self.origin + "/"):
            host, rest = "", url[len(self.origin) :]
        elif url.startswith("/"):
            host, rest = "", url
        else:
            plain = _PLAIN_HOST.match(url)
            host = plain.group(1) if plain else urlsplit(url).netloc
            rest = url[url.find(host) + len(host) :]
        if "#" not in rest and "?" not in rest:  # the common case: a path alone
            return f"url:{host}{rest or '/'}"
        path, _, query = rest.partition("#")[0].partition("?")
        if query:
            query = "&".join(
                part
                for part in query.split("&")
                if part and not _TRACKING_PARAMETERS.fullmatch(part.partition("=")[0])
            )
        return f"url:{host}{path or '/'}{'?' + query if query else ''}"


def _arxiv_id(href: str) -> str | None:
    match = _ARXIV_LINK.search(href) if "rxiv.org/" in href.lower() else None
    return match.group("id") if match else None


def _doi(href: str) -> str | None:
    match = _DOI_LINK.search(href) if "doi.org/" in href.lower() else None
    return unquote(match.group("doi")).rstrip(".,;") if match else None


def _title_key(title: str) -> str:
    folded = unicodedata.normalize("NFKC", title).casefold()
    if folded.isascii():  # the common case, without a regex pass over every character
        spaced = folded.encode().translate(_ASCII_NON_ALPHANUMERIC_TO_SPACE).decode()
    else:
        spaced = _NON_ALPHANUMERIC.sub(" ", folded)
    return " ".join(spaced.split())


def _paper_key(
    title: str, arxiv_id: str | None, doi: str | None, url: str | None, site: _Site
) -> str:
    if arxiv_id:
        return f"arxiv:{_ARXIV_VERSION.sub('', arxiv_id)}"
    if doi:
        return f"doi:{doi.lower()}"
    if url:
        return site.key(url)
    return f"title:{_title_key(title)}"


# ---------------------------------------------------------------------------- cards


class _Card:
    """The lines of one paper card, sorted into their parts."""

    # Made once per card: a plain `__init__` costs less than a dataclass's default factories.
    __slots__ = ("abstract", "authors", "authors_truncated", "heads", "link_lines", "title")

    def __init__(self) -> None:
        self.heads: list[_Head] = []
        self.title: Block | None = None
        self.authors: list[str] = []
        self.authors_truncated = False
        self.abstract: list[str] = []
        self.link_lines: list[Block] = []  # lines whose links describe the paper


def _read_card(
    blocks: Sequence[Block],
    heads: Sequence[_Head | None],
    labels: Sequence[_Field | None],
    where: _CardLines,
) -> _Card:
    """Sort a card's lines (`where` among the page's) into head(s), title, authors, abstract
    and the rest.

    Below the head the order is title, authors, abstract; lines above the head (on sites that
    show the title first) hold the title and maybe the authors. `labels` are the lines'
    `_field`s.
    """
    card = _Card()
    start, head_at, stop = where
    if head_at > start:
        _read_lines_above_head(card, blocks[start:head_at], labels[start:head_at])
    state = "title" if card.title is None else "authors"
    # The card's lists, filled in place here and by `_read_labelled`.
    card_heads, abstract, link_lines = card.heads, card.abstract, card.link_lines
    for index in range(head_at, stop):
        block = blocks[index]
        if (head := heads[index]) is not None:
            card_heads.append(head)
            link_lines.append(block)
        elif (labelled := labels[index]) is not None:
            state = _read_labelled(card, block, labelled, state)
        elif not (text := block.text) or _is_chrome(block):  # a break, or chrome
            if state == "abstract":
                state = "rest"
        elif state == "title":
            card.title = block
            link_lines.append(block)
            state = "authors"
        elif state == "authors" and (found := _authors(text)) is not None:
            _add_authors(card, *found)
        elif (state == "authors" or state == "abstract") and (not abstract or _is_prose(text)):
            abstract.append(text)
            state = "abstract"
        else:
            state = "rest"
            link_lines.append(block)
    return card


def _read_lines_above_head(
    card: _Card, lines: Sequence[Block], labels: Sequence[_Field | None]
) -> None:
    """The title, the authors, and lines of links ("[abs, pdf, Code]") above a card head."""
    title_at = _title_above_head(lines, labels)
    for index, (block, labelled) in enumerate(zip(lines, labels, strict=True)):
        if index == title_at:
            card.title = block._replace(text=labelled.value) if labelled else block
            card.link_lines.append(block)
        elif labelled is not None:
            _read_labelled(card, block, labelled, "authors")
        elif _is_author_list(block.text):
            _add_authors(card, *_split_authors(block.text))
        elif not block.is_break and not _is_chrome(block):
            card.link_lines.append(block)


def _title_above_head(lines: Sequence[Block], labels: Sequence[_Field | None]) -> int | None:
    """The labelled title, else the first line that is not names, links, a label or chrome."""
    for index, found in enumerate(labels):
        if found is not None and found.name == "title" and found.value:
            return index
    return next(
        (
            index
            for index, block in enumerate(lines)
            if labels[index] is None
            and not block.is_break
            and not _is_chrome(block)
            and not _is_author_list(block.text)
            and not _is_row_of_links(block)
        ),
        None,
    )


def _read_labelled(card: _Card, block: Block, labelled: _Field, state: str) -> str:
    """Read a labelled line into the card; the state the card is in after it."""
    if not labelled.value:  # a label on a line of its own: the next line is the value
        return state
    if labelled.name == "title":
        card.title = block._replace(text=labelled.value)
        card.link_lines.append(block)
        return "authors"
    if labelled.name == "authors":
        _add_authors(card, *_split_authors(labelled.value))
        return "authors"
    if labelled.name == "abstract":
        card.abstract.append(labelled.value)
        return "abstract"
    card.link_lines.append(block)  # a labelled category or date that did not read as a head
    return state


def _add_authors(card: _Card, names: list[str], truncated: bool) -> None:
    card.authors.extend(names)
    card.authors_truncated = card.authors_truncated or truncated


def _is_row_of_links(block: Block) -> bool:
    """Two or more links and nothing else but punctuation and numbers: "[1] [abs, pdf]"."""
    if len(block.links) < 2:
        return False
    rest = block.text
    for link in block.links:
        rest = rest.replace(link.text, "", 1)
    return not any(character.isalpha() for character in rest)


def _paper(card: _Card, site: _Site, today: date, warnings: list[str]) -> dict[str, object] | None:
    """The fields of the card's `Paper`, validated with the others' by `_read_papers`."""
    title_line = card.title
    if title_line is None:
        warnings.append("a paper card without a title was skipped")
        return None
    title = title_line.text
    heads = card.heads
    if len(heads) == 1:  # the common case
        category, when, has_code = heads[0]
    else:
        category = when = None
        has_code = False
        for head in heads:
            category, when = category or head.category, when or head.date
            has_code = has_code or head.code
    published = None
    if when is not None and (published := _resolve_date(when, today)) is None:
        warnings.append(f"paper {title!r} shows an impossible date {tuple(when)}")
    code_link, arxiv_id, doi = _card_links(card.link_lines)
    url = None
    for link in title_line.links:  # the first whose text holds the title
        if title in link.text:
            url = site.absolute(link.href)
            break
    return {
        "key": _paper_key(title, arxiv_id, doi, url, site),
        "title": title,
        "authors": card.authors,
        "authors_truncated": card.authors_truncated,
        "published": published,
        "year": published.year if published else None,
        "category": category,
        "has_code": has_code or code_link is not None,
        "code_url": site.absolute(code_link.href) if code_link else None,
        "url": url,
        "arxiv_id": arxiv_id,
        "doi": doi,
        "abstract": "\n\n".join(card.abstract) or None,
    }


def _card_links(lines: Sequence[Block]) -> tuple[Link | None, str | None, str | None]:
    """The first Code badge link, arXiv id and DOI among the links on a card's lines."""
    code_link = arxiv_id = doi = None
    for block in lines:
        for link in block.links:
            if code_link is None and link.text.casefold().strip(_EDGE_PUNCTUATION) == "code":
                code_link = link  # a Code badge
            href = link.href.lower()  # the hosts are screened here, once for both
            if arxiv_id is None and "rxiv.org/" in href:
                arxiv_id = _arxiv_id(link.href)
            if doi is None and "doi.org/" in href:
                doi = _doi(link.href)
    return code_link, arxiv_id, doi


def _card_starts(
    heads: Sequence[_Head | None],
    stat_lines: Sequence[_StatLine | None],
    within: range,
    list_start: int | None,
) -> list[int]:
    """The first line of each run of card-head lines that opens a card, `within` those lines.

    A head opens a card when it shows a date, or a category once the list has begun; a lone
    Code badge belongs to the card it sits in. A badge above a line of stats ("KAIST" over
    "h-index 98") is another researcher's affiliation, not a card.
    """
    starts: list[int] = []
    index, stop = within.start, within.stop
    while index < stop:
        if heads[index] is None:
            index += 1
            continue
        start = index  # of a run of heads, which ends at `index`
        dated = has_category = False
        while index < stop and (head := heads[index]) is not None:
            dated = dated or head.date is not None
            has_category = has_category or head.category is not None
            index += 1
        in_list = bool(starts) or (list_start is not None and start > list_start)
        if dated or (
            in_list
            and has_category
            and not (index < len(stat_lines) and _has(stat_lines[index], _Label))
        ):
            starts.append(start)
    return starts


def _titles_above_heads(
    blocks: Sequence[Block], heads: Sequence[_Head | None], starts: Sequence[int], floor: int
) -> bool:
    """Whether the cards show their title above the head ("Title", then "LG · Mar 2, 2023").

    Then the first card's title sits between the list's start (`floor`) and its head, and
    the first line below a head holds the authors or the abstract instead of a title. The
    cards vote, because a few titles read like a list of names.
    """
    if not starts or not any(_is_content(blocks[i]) for i in range(floor, starts[0])):
        return False
    votes = 0
    for counted, start in enumerate(starts):
        if abs(votes) > len(starts) - counted:
            break  # the rest cannot change the outcome
        below = next(
            (
                blocks[index]
                for index in range(start, len(blocks))
                if heads[index] is None and _is_content(blocks[index])
            ),
            None,
        )
        if below is not None:
            votes += 1 if _holds_no_title(below) else -1
    return votes > 0


def _is_content(block: Block) -> bool:
    """Neither a break, chrome, nor a label on a line of its own."""
    if block.is_break or _is_chrome(block):
        return False
    labelled = _field(block.text)
    return labelled is None or bool(labelled.value)


def _holds_no_title(block: Block) -> bool:
    labelled = _field(block.text)
    if labelled is not None:
        return labelled.name != "title"
    return _is_author_list(block.text) or len(block.text) >= _MIN_PARAGRAPH


def _first_lines_above_heads(
    blocks: Sequence[Block], heads: Sequence[_Head | None], starts: Sequence[int], floor: int
) -> list[int]:
    """Where each card begins when titles sit above heads: after the card before it ends.

    A card ends with its abstract, or at a break; the first card begins at `floor` at most.
    """
    firsts: list[int] = []
    for n, start in enumerate(starts):
        lowest = starts[n - 1] + 1 if n else floor
        first = start
        while first > lowest and not _ends_card(blocks[first - 1], heads[first - 1]):
            first -= 1
        firsts.append(first)
    return firsts


def _ends_card(block: Block, head: _Head | None) -> bool:
    return head is not None or block.is_break or _is_paragraph(block.text)


def _last_card_end(
    blocks: Sequence[Block], heads: Sequence[_Head | None], first: int, head_at: int, previous: int
) -> int:
    """Where the last card ends: at the edge of its element, when the markup shows one.

    With no next card head, only the markup tells the card from what follows it (a footer,
    a cookie banner). The card's element is the largest one around its head that does not
    also hold the previous card (or the stats); it counts only if it also holds the card's
    first line and the line below the head.
    """
    below = next((i for i in range(head_at, len(blocks)) if heads[i] is None), len(blocks))
    head_node, previous_node = blocks[head_at].node, blocks[previous].node
    if below == len(blocks) or head_node is None or previous_node is None:
        return len(blocks)
    container = outermost_without(head_node, previous_node)
    if container is None or not all(
        (node := blocks[index].node) is not None and contains(container, node)
        for index in (first, below)
    ):
        return len(blocks)
    end = below
    while (
        end < len(blocks) and (node := blocks[end].node) is not None and contains(container, node)
    ):
        end += 1
    return end


# ---------------------------------------------------------------------------- the page


def _name_and_affiliation(candidates: Sequence[Block]) -> tuple[str, str | None]:
    """The researcher's name and affiliation among the lines above the stats.

    Those lines may begin with the site's branding, so the name is one of the last two:
    the one that is a top heading, else the one shaped like a person's name, else the
    second-to-last with the affiliation after it.
    """
    last_two = list(candidates[-2:])
    for index, block in enumerate(last_two):
        if block.tag == "h1":
            following = last_two[index + 1].text if index + 1 < len(last_two) else None
            return block.text, following
    if len(last_two) == 1:
        return last_two[0].text, None
    before, last = last_two[0].text, last_two[1].text
    if _looks_like_person(last) and not _looks_like_person(before):
        return last, None
    return before, last


_PAPERS_LABEL = _Label("paper_count")


def _papers_header(
    lines: Sequence[_StatLine | None], heads: Sequence[_Head | None], start: int
) -> int | None:
    """The line of the "24 Papers" header: the last papers count before the first card."""
    header = None
    for index in range(start, len(lines)):
        head = heads[index]
        if head is not None and head.date is not None:
            break
        line = lines[index]
        if line is not None and any(t == _PAPERS_LABEL for group in line for t in group):
            header = index
    return header


def _metrics(stats: Sequence[_Stat], header: int | None) -> dict[str, MetricValue]:
    """The first value of each metric; the papers header counts only when the stats lack one."""
    papers_stats = sum(1 for stat in stats if stat.metric == "paper_count")
    metrics: dict[str, MetricValue] = {}
    for stat in stats:
        if stat.metric not in metrics and not (stat.line == header and papers_stats > 1):
            metrics[stat.metric] = stat.value
    return metrics


def _plausibility_warnings(
    metrics: dict[str, MetricValue], stats: Sequence[_Stat], cards: int
) -> list[str]:
    warnings: list[str] = []
    h_index, citations = metrics.get("h_index"), metrics.get("citations")
    if h_index is not None and citations is not None and h_index * h_index > citations:
        warnings.append(
            f"h-index {h_index} is impossible with {citations} citations "
            f"(an h-index of {h_index} needs at least {h_index * h_index})"
        )
    percents = {stat.metric for stat in stats if stat.percent}
    for metric, value in metrics.items():
        is_percent = metric == "novelty_percent" or metric in percents
        if is_percent and not 0 <= value <= 100:
            warnings.append(f"{metric} is {value}%, outside 0..100")
    for count in sorted({stat.value for stat in stats if stat.metric == "paper_count"}):
        if count != cards:
            warnings.append(f"the page states {count} papers but {cards} paper cards were read")
    return warnings


class _CardLines(NamedTuple):
    """Where a card is: its first line, the line of its head, and the line after its last."""

    start: int
    head_at: int
    stop: int


def _cards(
    blocks: Sequence[Block],
    heads: Sequence[_Head | None],
    stat_lines: Sequence[_StatLine | None],
    paper_list: range,
    header: int | None,
    stats_start: int,
) -> list[_CardLines]:
    """The lines of each paper card in `paper_list`, the part of the page the cards are in."""
    head_lines = _card_starts(heads, stat_lines, paper_list, header)
    firsts = head_lines
    below_header = header is not None and header >= paper_list.start
    floor = header + 1 if header is not None and below_header else paper_list.start
    if _titles_above_heads(blocks, heads, head_lines, floor):
        firsts = _first_lines_above_heads(blocks, heads, head_lines, floor)
    # Each card ends where the next begins; the last, see `_last_card_end`.
    cards = [
        _tuple_new(_CardLines, lines)
        for lines in zip(firsts[:-1], head_lines[:-1], firsts[1:], strict=True)
    ]
    if firsts:
        first, head_at = firsts[-1], head_lines[-1]
        previous = head_lines[-2] if len(head_lines) > 1 else stats_start
        end = min(_last_card_end(blocks, heads, first, head_at, previous), paper_list.stop)
        cards.append(_tuple_new(_CardLines, (first, head_at, end)))
    return cards


def _profile_stats(
    stat_lines: Sequence[_StatLine | None], span: range, list_start: int, header: int | None
) -> list[_Stat]:
    """The profile's stats, with the papers header's count; the stats may follow the list."""
    if span.start < list_start:
        return _pair_stats(stat_lines[span.start : list_start], offset=span.start)
    stats = _pair_stats(stat_lines[span.start : span.stop], offset=span.start)
    if header is not None:
        stats += _pair_stats(stat_lines[header : header + 1], offset=header)
    return stats


def _name_candidates(lines: Sequence[Block], stat_lines: Sequence[_StatLine | None]) -> list[Block]:
    """The lines above the profile that may hold its name: short, neither stats nor chrome."""
    return [
        block
        for block, stat_line in zip(lines, stat_lines, strict=True)
        if stat_line is None and 0 < len(block.text) <= 150 and not _is_chrome(block)
    ]


# One validation for all the papers: pydantic's constructor, called per paper, costs more
# than validating them as one list.
_PAPERS = TypeAdapter(list[Paper])


def _read_papers(
    blocks: Sequence[Block],
    heads: Sequence[_Head | None],
    labels: Sequence[_Field | None],
    cards: Sequence[_CardLines],
    *,
    site: _Site,
    today: date,
    warnings: list[str],
) -> list[Paper]:
    papers: list[dict[str, object]] = []
    for where in cards:
        card = _read_card(blocks, heads, labels, where)
        if (paper := _paper(card, site, today, warnings)) is not None:
            papers.append(paper)
    return _PAPERS.validate_python(papers)


class _Lines(NamedTuple):
    """What each line of the page says, if anything (None where it says nothing of the kind)."""

    stats: list[_StatLine | None]  # `_stat_line`
    labels: list[_Field | None]  # `_field`
    heads: list[_Head | None]  # `_card_head`


def _read_lines(blocks: Sequence[Block]) -> _Lines:
    """Read every line, in one pass; most are settled here without a call.

    A line too long for stats, a label or a head (an abstract), or beginning with no stats
    token, or too long for a head without showing a date or a Code badge (a title, names),
    says nothing of that kind.
    """
    stats: list[_StatLine | None] = [None] * len(blocks)
    labels: list[_Field | None] = [None] * len(blocks)
    heads: list[_Head | None] = [None] * len(blocks)
    for index, block in enumerate(blocks):
        text = block.text
        length = len(text)
        if length <= _MAX_STAT_LINE:
            first = text[:1]
            if first in _STAT_INITIALS:
                second = _LABEL_SECOND.get(first)
                if (
                    second is None
                    or (follows := text[1:2]) in second
                    or (first in "hH" and follows.isspace())
                ):
                    stats[index] = _stat_line(text)
            elif first.isdecimal() or first.isspace():
                stats[index] = _stat_line(text)
        if length > _MAX_LABEL and ":" not in text[:_MAX_LABEL]:
            if length > _MAX_HEAD_LINE or (
                length > _MAX_CATEGORY_LINE and not _shows_date_or_code(text)
            ):
                continue
        else:
            labels[index] = _field(text)
        heads[index] = _card_head(block, labels[index])
    return _Lines(stats, labels, heads)


def _read_profile(
    blocks: Sequence[Block], *, url: str | None, fetched_at: datetime
) -> ProfileRecord:
    stat_lines, labels, heads = _read_lines(blocks)
    if not _looks_like_profile(stat_lines):
        raise ParseError("the page shows no researcher stats (h-index, papers, citations)")
    first_dated = next(
        (i for i, head in enumerate(heads) if head is not None and head.date is not None),
        len(blocks),
    )
    span = _stats_span(stat_lines, _stats_runs(stat_lines), first_dated)
    if span is None:
        raise LayoutChangedError("the profile page names its stats but shows no values for them")
    for index in span:
        heads[index] = None
    # Usually the stats sit above the paper list; a sidebar may put them below it.
    stats_above = span.start < first_dated
    paper_list = range(span.stop, len(blocks)) if stats_above else range(span.start)
    header = _papers_header(stat_lines, heads, span.start if stats_above else 0)
    cards = _cards(blocks, heads, stat_lines, paper_list, header, span.start)
    list_start = cards[0].start if cards else paper_list.stop
    stats = _profile_stats(stat_lines, span, list_start, header)

    if stats_above:
        above_profile = span.start
    else:
        above_profile = header if header is not None and header < list_start else list_start
    candidates = _name_candidates(blocks[:above_profile], stat_lines[:above_profile])
    if not candidates:
        raise LayoutChangedError("the profile page shows stats but no researcher name above them")
    name, affiliation = _name_and_affiliation(candidates)

    card_warnings: list[str] = []
    papers = _read_papers(
        blocks,
        heads,
        labels,
        cards,
        site=_Site.of(url),
        today=fetched_at.date(),
        warnings=card_warnings,
    )

    metrics = _metrics(stats, header)
    stated = [stat.value for stat in stats if stat.metric == "paper_count"]
    if not papers and any(count > 0 for count in stated):
        raise LayoutChangedError(
            f"the profile page states {max(stated)} papers but no paper card could be read"
        )
    return ProfileRecord(
        source=ProfilePageSource.kind,
        url=url,
        fetched_at=fetched_at,
        name=name,
        affiliation=affiliation,
        metrics=metrics,
        papers=papers,
        warnings=_plausibility_warnings(metrics, stats, len(papers)) + card_warnings,
    )


# ---------------------------------------------------------------------------- the source


class ProfilePageSource(SinglePageSource):
    """The paper-aggregator profile page; the generic fallback for any http(s) URL."""

    kind = "profile_page"

    def recognises_url(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.netloc)

    def recognises_content(self, text: str) -> bool:
        try:
            lines = _read_lines(page_blocks(text)).stats
        except Exception:  # whatever cannot be read is not a profile page
            return False
        return _looks_like_profile(lines)

    def parse(self, text: str, *, url: str | None, fetched_at: datetime) -> ProfileRecord:
        try:
            blocks = page_blocks(text)
        except Exception as exc:
            raise ParseError("the page could not be read as HTML or as text") from exc
        try:
            return _read_profile(blocks, url=url, fetched_at=fetched_at)
        except ParseError:
            raise
        except Exception as exc:
            # A page shape never seen before, or a bug: either way the record is not to be
            # trusted. The cause stays chained for whoever debugs it.
            raise LayoutChangedError(f"the profile page could not be read ({exc!r})") from exc


SOURCE = ProfilePageSource()
