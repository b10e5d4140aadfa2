"""OpenAlex authors, read from the API: the author object, then the author's works by cursor.

https://api.openalex.org/authors/A5023888391            name, counts, h-index, affiliation
https://api.openalex.org/works?filter=authorships.author.id:A5023888391&per-page=200&cursor=*
...&cursor=<meta.next_cursor of the page before>         until next_cursor is null

A works list saved on its own also parses, as a record without citations or h-index: its author
is the one the URL filters on, or else the one author every work names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qs, quote, urlsplit

from tracker.errors import LayoutChangedError, ParseError, UserInputError
from tracker.records import MetricValue, Paper, ProfileRecord
from tracker.sources.base import Page
from tracker.sources.json_fields import (
    JsonObject,
    first_of_each_key,
    looks_like_json_object,
    match_url,
)

_API = "https://api.openalex.org"
_ORCID = r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]"
_BARE_ORCID = re.compile(rf"(?P<orcid>{_ORCID})", re.IGNORECASE)
# The profile URLs we take, by host; each names the author by OpenAlex id or by ORCID.
_PROFILE_PATHS = {
    "openalex.org": re.compile(r"/(?:authors/)?(?P<id>A[0-9]+)/?", re.IGNORECASE),
    "api.openalex.org": re.compile(
        rf"/authors/(?:(?P<id>A[0-9]+)|orcid:(?P<orcid>{_ORCID}))/?", re.IGNORECASE
    ),
    "orcid.org": re.compile(rf"/(?P<orcid>{_ORCID})/?", re.IGNORECASE),
}
_AUTHOR_URI = re.compile(r"https://openalex\.org/(A[0-9]+)", re.IGNORECASE)
_AUTHOR_URI_FIELD = re.compile(r'"id"\s*:\s*"https://openalex\.org/A[0-9]+"')
_WORKS_FILTER = re.compile(r"(?:authorships\.)?author\.id:(A[0-9]+)", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(?P<id>.+)", re.IGNORECASE)
_SUMMARY_COUNTS = ("h_index", "i10_index")
_TOP_INTERESTS = 5
_WORKS_ALONE = "parsed from a works list alone: citations and h-index need the author object"


# ---------------------------------------------------------------------------- URLs


def _author_ref(url: str) -> str | None:
    """The author as the API names it (`A123` or `orcid:0000-...`), or None for another URL."""
    if bare := _BARE_ORCID.fullmatch(url.strip()):
        return f"orcid:{bare['orcid'].upper()}"
    match = match_url(url, _PROFILE_PATHS)
    if match is None:
        return None
    found = match.groupdict()
    return found["id"].upper() if found.get("id") else f"orcid:{found['orcid'].upper()}"


def _works_url(author_id: str, cursor: str) -> str:
    return (
        f"{_API}/works?filter=authorships.author.id:{author_id}"
        f"&per-page=200&cursor={quote(cursor, safe='*')}"
    )


def _filter_author(url: str | None) -> str | None:
    """The author whose works the works-list `url` filters on, or None when it names none."""
    try:
        query = parse_qs(urlsplit(url).query) if url else {}
    except ValueError:  # e.g. a broken IPv6 host
        return None
    for value in query.get("filter", []):
        if match := _WORKS_FILTER.search(value):
            return match[1].upper()
    return None


def _works_author(url: str | None) -> str:
    author = _filter_author(url)
    if author is None:
        raise ParseError(f"cannot tell whose works the OpenAlex page {url} lists")
    return author


# ---------------------------------------------------------------------------- pages


def _author_id(body: JsonObject) -> str | None:
    """`A123` when `body` is an author object (or an authorship's author), else None."""
    value = body.data.get("id")
    match = _AUTHOR_URI.fullmatch(value) if isinstance(value, str) else None
    return match[1].upper() if match else None


def _is_works_page(body: JsonObject) -> bool:
    return body.has("results") and body.has("meta")


def _author(body: JsonObject) -> JsonObject:
    if _author_id(body) is not None:
        return body
    if _is_works_page(body):
        raise ParseError("an OpenAlex works list, not an author: the author object comes first")
    raise ParseError("the JSON is not an OpenAlex author object")


def _works_page(page: Page, number: int) -> JsonObject:
    where = f"OpenAlex works page {number}"
    try:
        body = JsonObject.load(page.text, where=where)
    except ParseError as exc:
        raise LayoutChangedError(str(exc)) from exc
    if not _is_works_page(body):
        raise LayoutChangedError(f"{where} has no meta and results")
    return body


# ---------------------------------------------------------------------------- the author


def _metrics(author: JsonObject) -> dict[str, MetricValue]:
    metrics: dict[str, MetricValue] = {
        "paper_count": author.required_integer("works_count"),
        "citations": author.required_integer("cited_by_count"),
    }
    if stats := author.child("summary_stats"):
        for metric in _SUMMARY_COUNTS:
            if (count := stats.integer(metric)) is not None:
                metrics[metric] = count
        if (mean := stats.number("2yr_mean_citedness")) is not None:
            metrics["two_year_mean_citedness"] = mean
    return metrics


def _affiliation(author: JsonObject) -> str | None:
    for institution in author.children("last_known_institutions"):
        if name := institution.text("display_name"):
            return name
    older = author.child("last_known_institution")  # before 2024 the API had only one
    return older.text("display_name") if older else None


def _citations_per_year(author: JsonObject) -> dict[int, int]:
    return {
        year.required_integer("year"): year.required_integer("cited_by_count")
        for year in author.children("counts_by_year")
    }


def _interests(author: JsonObject) -> list[str]:
    """The names of the author's top topics, or of the older x_concepts when there are none."""
    for key in ("topics", "x_concepts"):
        names = [name for topic in author.children(key) if (name := topic.text("display_name"))]
        if names:
            return names[:_TOP_INTERESTS]
    return []


# ---------------------------------------------------------------------------- works


def _bare_doi(doi: str | None) -> str | None:
    """`10.1145/2795233` from `https://doi.org/10.1145/2795233`."""
    bare = _DOI_PREFIX.sub("", doi.strip(), count=1) if doi else ""
    return bare or None


def _paper(work: JsonObject, warnings: list[str]) -> Paper | None:
    work_id = work.required_text("id")
    title = (work.text("display_name") or work.text("title") or "").strip()
    if not title:
        warnings.append(f"the OpenAlex work {work_id} has no title and was skipped")
        return None
    doi = _bare_doi(work.text("doi"))
    location = work.child("primary_location")
    source = location.child("source") if location else None
    arxiv = _ARXIV_DOI.fullmatch(doi) if doi else None
    return Paper(
        key=f"doi:{doi.lower()}" if doi else f"openalex:{work_id.rsplit('/', 1)[-1]}",
        title=title,
        authors=[
            name
            for authorship in work.children("authorships")
            if (author := authorship.child("author")) and (name := author.text("display_name"))
        ],
        authors_truncated=work.flag("is_authors_truncated") or False,
        published=work.iso_date("publication_date"),
        year=work.integer("publication_year"),
        venue=source.text("display_name") if source else None,
        url=f"https://doi.org/{doi}" if doi else work_id,
        arxiv_id=arxiv["id"] if arxiv else None,
        doi=doi,
        citations=work.integer("cited_by_count"),
    )


def _papers(works_pages: Sequence[JsonObject], warnings: list[str]) -> list[Paper]:
    works = [work for page in works_pages for work in page.children("results")]
    meta = works_pages[0].child("meta") if works_pages else None
    listed = meta.integer("count") if meta else None
    if listed is not None and listed != len(works):
        warnings.append(f"the OpenAlex works list counts {listed} works but {len(works)} were read")
    papers = [paper for work in works if (paper := _paper(work, warnings)) is not None]
    return first_of_each_key(papers, warnings)


# ---------------------------------------------------------------------------- a works list alone


@dataclass(frozen=True)
class _Authorship:
    """One work's authorship of the author a works list belongs to."""

    author: JsonObject
    institutions: list[str]
    published: date | None


def _authorships_of(works: Sequence[JsonObject], author_id: str) -> list[_Authorship]:
    return [
        _Authorship(
            author,
            [
                name
                for place in authorship.children("institutions")
                if (name := place.text("display_name"))
            ],
            work.iso_date("publication_date"),
        )
        for work in works
        for authorship in work.children("authorships")
        if (author := authorship.child("author")) and _author_id(author) == author_id
    ]


def _common_author(works: Sequence[JsonObject]) -> str | None:
    """The one author every work names, or None when there is not exactly one."""
    named = [
        {
            found
            for authorship in work.children("authorships")
            if (author := authorship.child("author")) and (found := _author_id(author))
        }
        for work in works
    ]
    common = set.intersection(*named) if named else set()
    return common.pop() if len(common) == 1 else None


def _list_owner(works: Sequence[JsonObject], url: str | None) -> list[_Authorship]:
    """The authorships of the list's author: the one the URL filters on, else the common one."""
    wanted = _filter_author(url)
    if wanted is not None and (authorships := _authorships_of(works, wanted)):
        return authorships
    # No URL, or an author merged into another: the works still name their author.
    common = _common_author(works)
    if common is None:
        raise ParseError(
            "cannot tell whose works the OpenAlex works list holds: no one author is on every work",
            hint="parse the author object (https://api.openalex.org/authors/A...) instead",
        )
    return _authorships_of(works, common)


def _latest_affiliation(authorships: Sequence[_Authorship]) -> str | None:
    """The first institution of the most recent work that names one."""
    placed = [authorship for authorship in authorships if authorship.institutions]
    if not placed:
        return None
    latest = max(placed, key=lambda authorship: authorship.published or date.min)
    return latest.institutions[0]


# ---------------------------------------------------------------------------- the source


class OpenAlexSource:
    """An OpenAlex author, by OpenAlex id or ORCID, read from the OpenAlex API."""

    kind = "openalex"

    def recognises_url(self, url: str) -> bool:
        return _author_ref(url) is not None

    def recognises_content(self, text: str) -> bool:
        if not looks_like_json_object(text):
            return False
        works_page = '"results"' in text and "https://openalex.org/W" in text
        return works_page or _AUTHOR_URI_FIELD.search(text) is not None

    def request_url(self, url: str) -> str:
        ref = _author_ref(url)
        if ref is None:
            raise UserInputError(f"{url} names no OpenAlex author or ORCID")
        return f"{_API}/authors/{ref}"

    def next_url(self, page: Page) -> str | None:
        try:
            body = JsonObject.load(page.text, where="OpenAlex page")
        except ParseError:
            return None  # not ours: parse_pages says why
        if _is_works_page(body):
            meta = body.child("meta")
            cursor = meta.text("next_cursor") if meta else None
            if not cursor or not body.children("results"):
                return None
            return _works_url(_works_author(page.url), cursor)
        # The author's own id, which is the new one when OpenAlex merged the author.
        author_id = _author_id(body)
        return _works_url(author_id, "*") if author_id else None

    def parse(self, text: str, *, url: str | None, fetched_at: datetime) -> ProfileRecord:
        return self.parse_pages([Page(url, text)], fetched_at=fetched_at)

    def parse_pages(self, pages: Sequence[Page], *, fetched_at: datetime) -> ProfileRecord:
        if not pages:
            raise ParseError("no OpenAlex page to parse")
        first = JsonObject.load(pages[0].text, where="OpenAlex author")
        if len(pages) == 1 and _author_id(first) is None and _is_works_page(first):
            works_list = JsonObject(first.data, where="OpenAlex works list")
            return self._parse_works_list(works_list, url=pages[0].url, fetched_at=fetched_at)
        author = _author(first)
        works_pages = [_works_page(page, n) for n, page in enumerate(pages[1:], start=1)]
        warnings: list[str] = []
        papers = _papers(works_pages, warnings)
        return ProfileRecord(
            source=self.kind,
            url=pages[0].url,
            fetched_at=fetched_at,
            name=author.required_text("display_name"),
            affiliation=_affiliation(author),
            interests=_interests(author),
            metrics=_metrics(author),
            citations_per_year=_citations_per_year(author),
            papers=papers,
            warnings=warnings,
        )

    def _parse_works_list(
        self, page: JsonObject, *, url: str | None, fetched_at: datetime
    ) -> ProfileRecord:
        """A works list on its own: its works, and its author as the works name them."""
        authorships = _list_owner(page.children("results"), url)
        meta = page.child("meta")
        if meta is None:
            raise LayoutChangedError(f"{page.where}: meta is missing")
        warnings = [_WORKS_ALONE]
        papers = _papers([page], warnings)
        return ProfileRecord(
            source=self.kind,
            url=url,
            fetched_at=fetched_at,
            name=authorships[0].author.required_text("display_name"),
            affiliation=_latest_affiliation(authorships),
            metrics={"paper_count": meta.required_integer("count")},
            papers=papers,
            warnings=warnings,
        )


SOURCE = OpenAlexSource()
