"""The baseline parsers: the same extraction written the straightforward way, with BeautifulSoup.

Each one reads its fixture's markup by tag and class, as a first scraper would, and
builds the same `ProfileRecord` as tracker's parser, so the two are timed doing the
same work. `check_same` makes sure they agree before anything is timed.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import parse_qs, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from tracker.records import MetricValue, Paper, ProfileRecord

PARSER = "html.parser"  # BeautifulSoup's own default: nothing else to install

_PROFILE_STATS = {
    "h-index": "h_index",
    "papers": "paper_count",
    "citations": "citations",
    "novelty": "novelty_percent",
    "ai score": "ai_score",
}
_SCHOLAR_STATS = {"Citations": "citations", "h-index": "h_index", "i10-index": "i10_index"}
_Z_INDEX = re.compile(r"z-index:(\d+)")


def _text(node: Tag | None) -> str:
    return " ".join(node.get_text(" ").split()) if node is not None else ""


def _number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def parse_profile_page(html: str, *, url: str | None, fetched_at: datetime) -> ProfileRecord:
    """The profile page in its semantic markup: `<dl>` stats, one `<article>` per paper."""
    soup = BeautifulSoup(html, PARSER)
    profile = soup.find("section", class_="profile")
    assert isinstance(profile, Tag)
    metrics: dict[str, MetricValue] = {}
    for label in profile.find_all("dt"):
        value = label.find_next_sibling("dd")
        metrics[_PROFILE_STATS[_text(label).lower()]] = _number(_text(value))
    papers = [_card(article) for article in soup.select("section.papers article")]
    return ProfileRecord(
        source="profile_page",
        url=url,
        fetched_at=fetched_at,
        name=_text(profile.find("h1")),
        affiliation=_text(profile.find(class_="affiliation")) or None,
        metrics=metrics,
        papers=papers,
    )


def _card(article: Tag) -> Paper:
    title = article.find("h3")
    link = title.find("a") if title else None
    time = article.find("time")
    code = article.find("a", class_="code")
    authors = _text(article.find(class_="authors"))
    truncated = authors.endswith("et al.")
    names = authors.removesuffix("et al.").strip().rstrip(",")
    href = link.get("href") if isinstance(link, Tag) else None
    return Paper(
        key=f"url:{href}",
        title=_text(title),
        authors=[name.strip() for name in names.split(",") if name.strip()],
        authors_truncated=truncated,
        published=date.fromisoformat(str(time["datetime"])) if isinstance(time, Tag) else None,
        category=_text(article.find(class_="category")) or None,
        has_code=code is not None,
        code_url=str(code["href"]) if isinstance(code, Tag) else None,
        url=str(href) if href else None,
        abstract=_text(article.find(class_="abstract")) or None,
    )


def parse_scholar(html: str, *, url: str, fetched_at: datetime) -> ProfileRecord:
    """A Google Scholar profile page: header, stats table, histogram and paper rows."""
    soup = BeautifulSoup(html, PARSER)
    lines = soup.select(".gsc_prf_il")
    email = soup.find(id="gsc_prf_ivh")
    domain = _text(email).removeprefix("Verified email at ").split(" ")[0] if email else None
    return ProfileRecord(
        source="scholar",
        url=url,
        fetched_at=fetched_at,
        name=_text(soup.find(id="gsc_prf_in")),
        affiliation=_text(lines[0]) if lines else None,
        interests=[_text(link) for link in soup.select("a.gsc_prf_inta")],
        email_domain=domain.lower() if domain else None,
        metrics=_scholar_stats(soup),
        citations_per_year=_histogram(soup),
        papers=[_row(row, url) for row in soup.select("tr.gsc_a_tr")],
    )


def _scholar_stats(soup: BeautifulSoup) -> dict[str, MetricValue]:
    table = soup.find(id="gsc_rsb_st")
    assert isinstance(table, Tag)
    metrics: dict[str, MetricValue] = {}
    for row in table.select("tbody tr"):
        label, *values = [_text(cell) for cell in row.find_all("td")]
        metric = _SCHOLAR_STATS[label]
        metrics[metric] = int(values[0])
        metrics[f"{metric}_since"] = int(values[1])
    headers = [_text(cell) for cell in table.select("thead th")]
    metrics["since_year"] = _number(headers[2])
    return metrics


def _histogram(soup: BeautifulSoup) -> dict[int, int]:
    """Bars stack right to left: z-index 1 is the latest year, 2 the one before, ..."""
    years = sorted(int(_text(label)) for label in soup.select(".gsc_g_t"))
    counts: dict[int, int] = {}
    for bar in soup.select(".gsc_g_a"):
        match = _Z_INDEX.search(str(bar.get("style", "")))
        if match:
            counts[years[-int(match.group(1))]] = int(_text(bar))
    return dict(sorted(counts.items()))


def _row(row: Tag, base: str) -> Paper:
    link = row.find("a", class_="gsc_a_at")
    assert isinstance(link, Tag)
    href = urljoin(base, str(link["href"]))
    citation_id = parse_qs(urlsplit(href).query)["citation_for_view"][0].split(":")[1]
    authors, venue = (_text(line) for line in row.select("div.gs_gray")[:2])
    year_span = row.find("span", class_="gs_oph")
    venue = venue.removesuffix(_text(year_span)).strip() if year_span else venue
    cited = _text(row.find("a", class_="gsc_a_ac"))
    year = _text(row.find(class_="gsc_a_h"))
    return Paper(
        key=f"scholar:{citation_id}",
        title=_text(link),
        authors=[name.strip() for name in authors.split(",") if name.strip()],
        venue=venue or None,
        year=int(year) if year else None,
        url=href,
        citations=int(cited) if cited else None,
    )


# Fields both parsers extract; the rest (keys, ids found in links, warnings) only ours does.
PROFILE_PAPER_FIELDS = (
    "title",
    "authors",
    "authors_truncated",
    "published",
    "category",
    "has_code",
    "code_url",
    "url",
    "abstract",
)
SCHOLAR_PAPER_FIELDS = ("key", "title", "authors", "venue", "year", "url", "citations")
RECORD_FIELDS = ("name", "affiliation", "metrics", "citations_per_year")
SCHOLAR_RECORD_FIELDS = (*RECORD_FIELDS, "interests", "email_domain")


def check_same(
    ours: ProfileRecord,
    baseline: ProfileRecord,
    record_fields: tuple[str, ...],
    paper_fields: tuple[str, ...],
) -> None:
    """Raise AssertionError naming the first field where the two parsers disagree."""
    for name in record_fields:
        mine, theirs = getattr(ours, name), getattr(baseline, name)
        assert mine == theirs, f"{name}: ours {mine!r}, baseline {theirs!r}"
    assert len(ours.papers) == len(baseline.papers), "paper counts differ"
    for number, (mine_paper, their_paper) in enumerate(
        zip(ours.papers, baseline.papers, strict=True)
    ):
        for name in paper_fields:
            mine, theirs = getattr(mine_paper, name), getattr(their_paper, name)
            assert mine == theirs, f"paper {number} {name}: ours {mine!r}, baseline {theirs!r}"
