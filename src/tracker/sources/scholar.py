"""Read Google Scholar profile pages (`scholar.google.*/citations?user=ID`).

Everything keys on the element ids and classes Scholar has kept for a decade, with a
text-based fallback where an id could one day go missing:

    #gsc_prf_in                 name (else og:title, else "<name> - Google Scholar" title)
    .gsc_prf_il                 affiliation, "Verified email at X" (#gsc_prf_ivh), interests
    a.gsc_prf_inta              interests (older pages: any `mauthors=label:` link)
    #gsc_rsb_st                 stats table (else the table with "Citations"/"h-index" rows)
    .gsc_g_t / .gsc_g_a         histogram: year labels and bars, each bar tied to its year
    tr.gsc_a_tr                 one paper (else a row holding a `citation_for_view` link)
    #gsc_bpf_more               "show more": present and not `disabled` means another page

A profile spans pages of 100 papers: `request_url` asks for the first, `next_url` for the
next while "show more" is enabled, and `parse_pages` joins them. Blocked answers (CAPTCHA,
"unusual traffic", Google's sign-in page) raise `BlockedError`; a Scholar page without a
profile raises `LayoutChangedError`. Impossible values are kept and reported in `warnings`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from tracker.errors import (
    BlockedError,
    LayoutChangedError,
    ParseError,
    TrackerError,
    UserInputError,
)
from tracker.records import MetricValue, Paper, ProfileRecord
from tracker.sources.base import Page

BLOCKED_HINT = (
    "Google Scholar refused the request: slow down, try again later, "
    "or follow this researcher on OpenAlex instead"
)
PAGE_SIZE = 100
DEFAULT_HOST = "scholar.google.com"

# ---------------------------------------------------------------------------- text and numbers

# Bidi marks and zero-width characters Scholar wraps names and titles in. ZWJ and ZWNJ stay:
# they change how Persian and Indic names are spelled.
_INVISIBLE = re.compile("[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_COUNT = re.compile(r"\d{1,3}(?:([,. '])\d{3})(?:\1\d{3})*|\d+")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2\d\d\d)(?!\d)")


def _clean(text: str) -> str:
    """Visible text: invisible marks removed, whitespace collapsed."""
    return " ".join(_INVISIBLE.sub("", text).split())


def _text(node: LexborNode | None) -> str:
    return _clean(node.text()) if node is not None else ""


def _count(text: str) -> int | None:
    """A whole number with or without thousands separators ("18.747", "1,234"), else None."""
    if text.isascii() and text.isdigit():
        return int(text)
    return int(re.sub(r"\D", "", text)) if _COUNT.fullmatch(text) else None


def _year(text: str) -> int | None:
    match = _YEAR.search(text)
    return int(match.group()) if match else None


def _first(node: LexborNode | LexborHTMLParser, *selectors: str) -> LexborNode | None:
    """The first match of the first selector that matches anything."""
    for selector in selectors:
        if (found := node.css_first(selector)) is not None:
            return found
    return None


# ---------------------------------------------------------------------------- URLs

_HOST = re.compile(r"scholar\.google\.(?:[a-z]{2,3}|com?\.[a-z]{2})")
_USER_ID = re.compile(r"[\w-]{4,40}")


def _query(url: str | None) -> dict[str, str]:
    """The query parameters of a URL; none for a URL that is not one."""
    try:
        return dict(parse_qsl(urlsplit(url or "").query))
    except ValueError:
        return {}


def _host(url: str | None) -> str:
    try:
        return urlsplit(url or "").hostname or ""
    except ValueError:
        return ""


def _profile_user(url: str) -> str | None:
    """The user id of a Scholar profile URL, else None."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not _HOST.fullmatch(host):
        return None
    if parts.path.rstrip("/") != "/citations":
        return None
    query = dict(parse_qsl(parts.query))
    user = query.get("user", "")
    if not _USER_ID.fullmatch(user) or query.get("view_op", "list_works") != "list_works":
        return None
    return user


def _list_url(host: str, user: str, cstart: int) -> str:
    query = urlencode({"user": user, "hl": "en", "cstart": cstart, "pagesize": PAGE_SIZE})
    return f"https://{host}/citations?{query}"


def _canonical_url(tree: LexborHTMLParser) -> str | None:
    link = tree.css_first('link[rel="canonical"]')
    href = link.attributes.get("href") if link is not None else None
    return href or None


def _absolute(base: str, href: str) -> str | None:
    """The href as an absolute URL; None if it does not parse (a bracket in its host)."""
    if href.startswith("/") and not href.startswith("//"):
        parts = urlsplit(base)
        return f"{parts.scheme}://{parts.netloc}{href}"
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _base_url(url: str | None, tree: LexborHTMLParser) -> str:
    """What the page's relative links are relative to."""
    for candidate in (url, _canonical_url(tree)):
        if candidate and _host(candidate) and candidate.startswith(("http://", "https://")):
            return candidate
    return f"https://{DEFAULT_HOST}/"


# ---------------------------------------------------------------------------- blocked pages

_SIGN_IN = re.compile(
    r"<base\b[^>]*accounts\.google\.|to continue to |GlifWebSignIn|identifierId", re.IGNORECASE
)
_UNUSUAL_TRAFFIC = re.compile(r"unusual\s+traffic", re.IGNORECASE)
_CAPTCHA = re.compile(r"gs_captcha|recaptcha|captcha-form|not\s+a\s+robot", re.IGNORECASE)
_SCHOLAR = re.compile(r"scholar\.google\.|Google Scholar|gsc_")


def _block_kind(text: str, url: str | None) -> str | None:
    """What kind of refusal the page is, or None when it is not one."""
    host = _host(url)
    # The sign-in page carries a hidden CAPTCHA widget, so it is recognised first.
    if host.startswith("accounts.google.") or (
        "accounts.google." in text and _SIGN_IN.search(text)
    ):
        return "Google's sign-in page (accounts.google.com)"
    if _UNUSUAL_TRAFFIC.search(text):
        return "an 'unusual traffic' page"
    if _CAPTCHA.search(text):
        return 'a CAPTCHA ("please show you\'re not a robot")'
    return None


def _not_a_profile(text: str, url: str | None) -> TrackerError:
    """The error for a page that holds no profile: blocked, redesigned or something else."""
    if (kind := _block_kind(text, url)) is not None:
        return BlockedError(f"Google Scholar sent {kind} instead of the profile", hint=BLOCKED_HINT)
    if _SCHOLAR.search(text):
        return LayoutChangedError(
            "the Google Scholar page shows no profile (no researcher name or citation table)"
        )
    return ParseError("the page is not a Google Scholar profile")


# ---------------------------------------------------------------------------- profile header

_TITLE_NAME = re.compile(r"(?P<name>.+?)\s+-\s+Google Scholar(?: Citations)?$")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}", re.IGNORECASE)
_LABEL_LINK = "a[href*='mauthors=label']"


def _name(tree: LexborHTMLParser) -> str:
    if name := _text(tree.css_first("#gsc_prf_in")):
        return name
    meta = tree.css_first('meta[property="og:title"]')
    if meta is not None and (name := _clean(meta.attributes.get("content") or "")):
        return name
    match = _TITLE_NAME.fullmatch(_text(tree.css_first("title")))
    return match.group("name") if match else ""


def _interests(header: LexborNode | LexborHTMLParser) -> list[str]:
    links = header.css("a.gsc_prf_inta") or header.css(_LABEL_LINK)
    return list(dict.fromkeys(text for link in links if (text := _text(link))))


def _email_line(lines: Sequence[LexborNode]) -> LexborNode | None:
    """The "Verified email at X" line: #gsc_prf_ivh, or on older pages the line saying so."""
    by_id = [line for line in lines if line.attributes.get("id") == "gsc_prf_ivh"]
    by_text = [line for line in lines if "email" in _text(line).casefold()]
    return next(iter(by_id + by_text), None)


def _email_domain(line: LexborNode | None) -> str | None:
    """The domain of "Verified email at X - Homepage"; None for "No verified email"."""
    match = _DOMAIN.search(_text(line))
    return match.group().lower() if match else None


def _affiliation(lines: Sequence[LexborNode], email: LexborNode | None) -> str | None:
    for line in lines:
        if line == email or line.attributes.get("id") == "gsc_prf_int":
            continue
        if not _has_interest_links(line) and (text := _text(line)):
            return text
    return None


def _has_interest_links(line: LexborNode) -> bool:
    return any(
        element.tag == "a" and "mauthors=label" in (element.attributes.get("href") or "")
        for element in line.traverse()
    )


# ---------------------------------------------------------------------------- stats

_STAT_BY_LABEL = {
    "citations": "citations",
    "citedby": "citations",
    "hindex": "h_index",
    "i10index": "i10_index",
}
_STATS_IN_ROW_ORDER = ("citations", "h_index", "i10_index")


def _stat_label(text: str) -> str | None:
    return _STAT_BY_LABEL.get(re.sub(r"[\W_]", "", text.casefold()))


def _cells(row: LexborNode) -> list[str]:
    return [_text(cell) for cell in row.iter() if cell.tag in ("td", "th")]


def _stats_table(tree: LexborHTMLParser) -> LexborNode | None:
    if (table := tree.css_first("#gsc_rsb_st")) is not None:
        return table
    for table in tree.css("table"):
        labels = {_stat_label(cells[0]) for row in table.css("tr") if (cells := _cells(row))}
        if {"citations", "h_index"} <= labels:
            return table
    return None


def _stats(table: LexborNode) -> dict[str, MetricValue]:
    """The "All" column as citations, h_index, i10_index and the "Since YEAR" one as *_since."""
    all_time: dict[str, MetricValue] = {}
    since: dict[str, MetricValue] = {}
    since_year = None
    value_rows = 0
    for row in table.css("tr"):
        cells = _cells(row)
        values = [_count(cell) for cell in cells[1:]]
        if not values or values[0] is None:
            since_year = since_year or next(filter(None, map(_year, cells[1:])), None)
            continue
        # Rows keep their order when a page in another language relabels them.
        metric = _stat_label(cells[0])
        if metric is None and value_rows < len(_STATS_IN_ROW_ORDER):
            metric = _STATS_IN_ROW_ORDER[value_rows]
        value_rows += 1
        if metric is None or metric in all_time:
            continue
        all_time[metric] = values[0]
        if len(values) > 1 and values[1] is not None:
            since[f"{metric}_since"] = values[1]
    if since and since_year is not None:
        since["since_year"] = since_year
    return all_time | since


def _stats_warnings(metrics: dict[str, MetricValue]) -> list[str]:
    warnings: list[str] = []
    year = metrics.get("since_year")
    for suffix, column in (("", "all-time"), ("_since", f"since-{year}")):
        citations, h_index = metrics.get(f"citations{suffix}"), metrics.get(f"h_index{suffix}")
        i10_index = metrics.get(f"i10_index{suffix}")
        if citations is not None and h_index is not None and h_index * h_index > citations:
            warnings.append(
                f"{column} h-index {h_index} is impossible with {citations} citations "
                f"(an h-index of {h_index} needs at least {h_index * h_index})"
            )
        if h_index is not None and i10_index is not None and h_index < min(i10_index, 10):
            warnings.append(
                f"{column} h-index {h_index} is impossible with an i10-index of {i10_index} "
                f"(which makes the h-index at least {min(i10_index, 10)})"
            )
    for metric in _STATS_IN_ROW_ORDER:
        total, recent = metrics.get(metric), metrics.get(f"{metric}_since")
        if total is not None and recent is not None and recent > total:
            warnings.append(
                f"{metric} since {year} ({recent}) is larger than the all-time {metric} ({total})"
            )
    return warnings


# ---------------------------------------------------------------------------- histogram

# Tag and class first: lexbor matches those several times faster than a bare class.
_YEAR_LABEL = ("span.gsc_g_t", ".gsc_g_t")
_BAR = ("a.gsc_g_a", ".gsc_g_a")
_Z_INDEX = re.compile(r"z-index\s*:\s*(\d+)")
_OFFSET = re.compile(r"(?<![\w-])(left|right)\s*:\s*(-?\d+(?:\.\d+)?)px")


@dataclass(frozen=True, slots=True)
class _Mark:
    """A year label or a bar of the histogram, with where its style puts it."""

    value: int
    z_index: int | None
    side: str | None
    offset: float | None

    @classmethod
    def of(cls, node: LexborNode, value: int) -> _Mark:
        style = node.attributes.get("style") or ""
        z_index = _Z_INDEX.search(style)
        offset = _OFFSET.search(style)
        return cls(
            value,
            int(z_index.group(1)) if z_index else None,
            offset.group(1) if offset else None,
            float(offset.group(2)) if offset else None,
        )


def _all(node: LexborNode | LexborHTMLParser, *selectors: str) -> list[LexborNode]:
    """The matches of the first selector that matches anything."""
    for selector in selectors:
        if found := node.css(selector):
            return found
    return []


def _chart(label: LexborNode, bar: LexborNode) -> LexborNode:
    """The nearest element holding both a year label and a bar: the chart they belong to."""
    around_bar: set[int] = set()
    node: LexborNode | None = bar
    while node is not None:
        around_bar.add(node.mem_id)
        node = node.parent
    chart = label
    while chart.mem_id not in around_bar and chart.parent is not None:
        chart = chart.parent
    return chart


def _years_by_z_index(labels: Sequence[_Mark], bars: Sequence[_Mark]) -> list[int] | None:
    """Scholar stacks bars right to left: z-index 1 is the latest year, 2 the one before..."""
    z_indexes = [bar.z_index for bar in bars]
    years = sorted(label.value for label in labels)
    if any(z is None or not 1 <= z <= len(years) for z in z_indexes):
        return None
    if len(set(z_indexes)) != len(z_indexes):
        return None
    return [years[-z] for z in z_indexes if z is not None]


def _years_by_position(labels: Sequence[_Mark], bars: Sequence[_Mark]) -> list[int] | None:
    """Each bar stands over its year's label: the label nearest to it on the same side."""
    sides = {mark.side for mark in (*labels, *bars)}
    if len(sides) != 1 or None in sides:
        return None
    by_offset = sorted((label.offset or 0.0, label.value) for label in labels)
    offsets = [offset for offset, _ in by_offset]
    gaps = [b - a for a, b in pairwise(offsets)]
    reach = min(gaps) / 2 if gaps else float("inf")
    years = []
    for bar in bars:
        at = bar.offset or 0.0
        after = bisect_left(offsets, at)
        nearest = min(
            (i for i in (after - 1, after) if 0 <= i < len(offsets)),
            key=lambda i: abs(offsets[i] - at),
        )
        if abs(offsets[nearest] - at) >= reach:
            return None
        years.append(by_offset[nearest][1])
    return years if len(set(years)) == len(years) else None


def _citations_per_year(tree: LexborHTMLParser, warnings: list[str]) -> dict[int, int]:
    label_nodes = _all(tree, *_YEAR_LABEL)
    if not label_nodes:
        return _chart_image(tree, warnings)
    bar_nodes = _all(tree, *_BAR)
    if bar_nodes:
        chart = _chart(label_nodes[0], bar_nodes[0])
        label_nodes, bar_nodes = _all(chart, *_YEAR_LABEL), _all(chart, *_BAR)
    labels = [
        _Mark.of(node, year) for node in label_nodes if (year := _count(_text(node))) is not None
    ]
    bars = [
        _Mark.of(node, count)
        for node in bar_nodes
        if (count := _count(_text(_one(_by_class(node), "gsc_g_al") or node))) is not None
    ]
    years = _bar_years(labels, bars, warnings)
    if years is None:
        return {}
    # A year with no citations has a label but no bar.
    counts = dict.fromkeys(sorted(label.value for label in labels), 0)
    counts.update(zip(years, (bar.value for bar in bars), strict=True))
    return counts


def _bar_years(
    labels: Sequence[_Mark], bars: Sequence[_Mark], warnings: list[str]
) -> list[int] | None:
    """The year of each bar: by z-index, else by position, else in order if every year has one."""
    by_z_index, by_position = _years_by_z_index(labels, bars), _years_by_position(labels, bars)
    if by_z_index is not None and by_position is not None and by_z_index != by_position:
        warnings.append(
            "the citation histogram's bars stand over other years than their z-index says; "
            "citations per year were left out"
        )
        return None
    years = by_z_index if by_z_index is not None else by_position
    if years is None and len(bars) == len(labels):
        years = [label.value for label in labels]
    if years is None:
        warnings.append("the citation histogram's bars could not be tied to their years")
    return years


def _chart_image(tree: LexborHTMLParser, warnings: list[str]) -> dict[int, int]:
    """The histogram of the oldest pages: a Google Charts image (`chd=t:…`, `chxl=0:|YEAR|…`)."""
    for image in tree.css("img[src*='chd=t']"):
        query = _query(image.attributes.get("src"))
        axis = re.match(r"0:\|([^:]*?)(?:\|\d+:.*)?$", query.get("chxl", ""))
        labels = axis.group(1).split("|") if axis else []
        values = query.get("chd", "")[2:].split("|")[0].split(",")
        if not labels or len(labels) != len(values) or not all(map(_YEAR.fullmatch, labels)):
            continue
        try:
            counts = [round(float(value)) for value in values]
        except ValueError:
            continue
        # -1 is how Google Charts marks a missing value.
        return {int(year): max(count, 0) for year, count in zip(labels, counts, strict=True)}
    if tree.css_first(".gsc_g_a, #gsc_g") is not None:
        warnings.append("the citation histogram has bars but no year labels")
    return {}


# ---------------------------------------------------------------------------- papers

_PAPER_LINK = "a[href*='citation_for_view='], a[data-href*='citation_for_view=']"
_CITATION_ID = re.compile(r"citation_for_view=([^&#]+)")
_TRAILING_YEAR = re.compile(r",\s*(\d{4})$")
_TRUNCATION = ("...", "…")


def _paper_rows(tree: LexborHTMLParser) -> list[LexborNode]:
    rows = tree.css("tr.gsc_a_tr")
    if rows:
        return rows
    return [row for row in tree.css("tr") if row.css_first(_PAPER_LINK) is not None]


def _paper_href(link: LexborNode) -> str:
    """The paper's own link; older pages kept it in `data-href` behind `javascript:void(0)`."""
    href = link.attributes.get("href") or ""
    if "citation_for_view=" not in href:
        href = link.attributes.get("data-href") or href
    return href


def _citation_id(href: str) -> str | None:
    """The paper id in `citation_for_view=USER:ID`."""
    match = _CITATION_ID.search(href)
    if match is None:
        return None
    _, _, paper_id = unquote(match.group(1)).partition(":")
    return paper_id or None


def _title_key(title: str) -> str:
    return "title:" + " ".join(re.findall(r"\w+", title.casefold()))


def _authors(text: str) -> tuple[list[str], bool]:
    """The authors, and whether Scholar cut the list short with "..."."""
    truncated = text.endswith(_TRUNCATION)
    if truncated:
        text = text.removesuffix("...").removesuffix("…").rstrip(" ,")
    return [name for part in text.split(",") if (name := part.strip())], truncated


def _by_class(node: LexborNode) -> dict[str, list[LexborNode]]:
    """The elements of `node` (itself included) under each of their classes, in page order."""
    # One walk instead of a selector per field: lexbor compiles each selector on every call.
    found: dict[str, list[LexborNode]] = {}
    for element in node.traverse():
        for name in (element.attributes.get("class") or "").split():
            found.setdefault(name, []).append(element)
    return found


def _one(classes: dict[str, list[LexborNode]], *names: str) -> LexborNode | None:
    """The first element of the first class present."""
    for name in names:
        if found := classes.get(name):
            return found[0]
    return None


def _venue(line: LexborNode | None) -> tuple[str | None, int | None]:
    """The venue line without the year Scholar appends to it, and that year."""
    if line is None:
        return None, None
    venue, year = _text(line), None
    appended = next((child for child in line.iter() if _has_class(child, "gs_oph")), None)
    if appended is not None:
        suffix = _text(appended)
        venue, year = venue.removesuffix(suffix), _year(suffix)
    elif match := _TRAILING_YEAR.search(venue):
        venue, year = venue[: match.start()], int(match.group(1))
    return venue.strip(" ,") or None, year


def _has_class(node: LexborNode, name: str) -> bool:
    return name in (node.attributes.get("class") or "").split()


def _cited_by(classes: dict[str, list[LexborNode]]) -> int | None:
    """The cited-by count; an empty cell means no citations, no cell at all means unknown."""
    node = _one(classes, "gsc_a_ac", "gsc_a_c")
    if node is None:
        return None
    text = _text(node).strip("* ")  # "*": Scholar merged this entry with another
    return _count(text) if text else 0


def _paper(row: LexborNode, base: str, warnings: list[str]) -> Paper | None:
    classes = _by_class(row)
    link = _one(classes, "gsc_a_at") or row.css_first(_PAPER_LINK)
    title = _text(link)
    if link is None or not title:
        if "gsc_a_e" not in classes:  # the "There are no articles in this profile." row
            warnings.append("a paper row without a title was skipped")
        return None
    href = _paper_href(link)
    paper_id = _citation_id(href)
    lines = classes.get("gs_gray", [])
    authors, truncated = _authors(_text(lines[0])) if lines else ([], False)
    venue, venue_year = _venue(lines[1] if len(lines) > 1 else None)
    year_text = _text(_one(classes, "gsc_a_y", "gsc_a_h"))
    citations = _cited_by(classes)
    if citations is None:
        warnings.append(f"paper {title!r} shows no readable cited-by count")
    return Paper(
        key=f"scholar:{paper_id}" if paper_id else _title_key(title),
        title=title,
        authors=authors,
        authors_truncated=truncated,
        venue=venue,
        year=_year(year_text) if year_text else venue_year,
        citations=citations,
        url=_absolute(base, href) if paper_id else None,
    )


def _papers(tree: LexborHTMLParser, base: str, warnings: list[str]) -> list[Paper]:
    return [paper for row in _paper_rows(tree) if (paper := _paper(row, base, warnings))]


def _unique(papers: Sequence[Paper]) -> list[Paper]:
    """The papers, each key once, first one kept."""
    first: dict[str, Paper] = {}
    for paper in papers:
        first.setdefault(paper.key, paper)
    return list(first.values())


# ---------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class _Profile:
    """What the page says about the researcher, and what looked wrong in it."""

    name: str
    affiliation: str | None
    interests: list[str]
    email_domain: str | None
    metrics: dict[str, MetricValue]
    citations_per_year: dict[int, int]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _ParsedPage:
    profile: _Profile
    papers: list[Paper]
    paper_warnings: list[str]


def _tree(text: str) -> LexborHTMLParser:
    try:
        return LexborHTMLParser(text)
    except Exception as exc:
        raise ParseError("the page could not be read as HTML") from exc


def _read_profile(tree: LexborHTMLParser) -> _Profile | None:
    """The researcher's fields, or None when the page shows no profile."""
    name, table = _name(tree), _stats_table(tree)
    metrics = _stats(table) if table is not None else {}
    if not name or not metrics:
        return None
    header: LexborNode | LexborHTMLParser = tree.css_first("#gsc_prf_i") or tree
    lines = header.css(".gsc_prf_il")
    email = _email_line(lines)
    warnings = _stats_warnings(metrics)
    return _Profile(
        name=name,
        affiliation=_affiliation(lines, email),
        interests=_interests(header),
        email_domain=_email_domain(email),
        metrics=metrics,
        citations_per_year=_citations_per_year(tree, warnings),
        warnings=warnings,
    )


def _read_page(text: str, url: str | None) -> _ParsedPage:
    tree = _tree(text)
    profile = _read_profile(tree)
    if profile is None:
        raise _not_a_profile(text, url)
    paper_warnings: list[str] = []
    papers = _papers(tree, _base_url(url, tree), paper_warnings)
    return _ParsedPage(profile, papers, paper_warnings)


def _guarded_read(text: str, url: str | None) -> _ParsedPage:
    try:
        return _read_page(text, url)
    except TrackerError:
        raise
    except Exception as exc:
        # A page shape never seen before, or a bug: either way the record is not to be
        # trusted. The cause stays chained for whoever debugs it.
        raise LayoutChangedError(f"the Google Scholar page could not be read ({exc!r})") from exc


def _record(
    pages: Sequence[_ParsedPage], *, url: str | None, fetched_at: datetime
) -> ProfileRecord:
    profile = pages[0].profile
    return ProfileRecord(
        source=ScholarSource.kind,
        url=url,
        fetched_at=fetched_at,
        name=profile.name,
        affiliation=profile.affiliation,
        interests=profile.interests,
        email_domain=profile.email_domain,
        metrics=profile.metrics,
        citations_per_year=profile.citations_per_year,
        papers=_unique([paper for page in pages for paper in page.papers]),
        warnings=profile.warnings + [w for page in pages for w in page.paper_warnings],
    )


def _is_disabled(button: LexborNode) -> bool:
    attributes = button.attributes
    return "disabled" in attributes or attributes.get("aria-disabled") == "true"


def _page_profile(url: str | None, tree: LexborHTMLParser) -> tuple[str, str] | None:
    """The host and user id of the profile a page belongs to."""
    for candidate in (url, _canonical_url(tree)):
        if candidate and (user := _profile_user(candidate)):
            return _host(candidate), user
    form = tree.css_first("form[action*='user=']")
    user = _query(form.attributes.get("action") if form is not None else None).get("user")
    return (DEFAULT_HOST, user) if user and _USER_ID.fullmatch(user) else None


def _cstart(url: str | None) -> int:
    value = _query(url).get("cstart", "")
    return int(value) if value.isascii() and value.isdigit() else 0


# ---------------------------------------------------------------------------- the source


class ScholarSource:
    """A Google Scholar profile, fetched 100 papers a page."""

    kind = "scholar"

    def recognises_url(self, url: str) -> bool:
        return _profile_user(url) is not None

    def recognises_content(self, text: str) -> bool:
        if "gsc_prf_in" in text or "gsc_rsb_st" in text:
            return True
        if "Google Scholar" in text and "i10-index" in text:
            return True
        return _block_kind(text, None) is not None and _SCHOLAR.search(text) is not None

    def request_url(self, url: str) -> str:
        user = _profile_user(url)
        if user is None:
            raise UserInputError(
                f"{url} is not a Google Scholar profile URL",
                hint="give a URL like https://scholar.google.com/citations?user=ID",
            )
        return _list_url(urlsplit(url.strip()).hostname or DEFAULT_HOST, user, 0)

    def next_url(self, page: Page) -> str | None:
        """The next 100 papers while "show more" is enabled; None once it is disabled or gone."""
        try:
            tree = LexborHTMLParser(page.text)
        except Exception:
            return None
        button = _first(tree, "#gsc_bpf_more", "#gsc_bpf_next")
        if button is None or _is_disabled(button):
            return None
        # Advance by the rows the page really holds (100 with `request_url`), as Scholar does.
        rows = len(_paper_rows(tree))
        profile = _page_profile(page.url, tree)
        if not rows or profile is None:
            return None
        host, user = profile
        return _list_url(host, user, _cstart(page.url) + rows)

    def parse(self, text: str, *, url: str | None, fetched_at: datetime) -> ProfileRecord:
        return _record([_guarded_read(text, url)], url=url, fetched_at=fetched_at)

    def parse_pages(self, pages: Sequence[Page], *, fetched_at: datetime) -> ProfileRecord:
        if not pages:
            raise ParseError("no Google Scholar page to parse")
        parsed = [_guarded_read(page.text, page.url) for page in pages]
        return _record(parsed, url=pages[0].url, fetched_at=fetched_at)


SOURCE = ScholarSource()
