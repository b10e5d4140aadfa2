"""Semantic Scholar authors, read from the Graph API: the author, then their papers by offset.

    https://api.semanticscholar.org/graph/v1/author/2262347?fields=...    name, counts, h-index
    https://api.semanticscholar.org/graph/v1/author/2262347/papers?fields=...&offset=0&limit=1000
    ...&offset=<next of the page before>                                   until there is no next

An author fetched with `papers` among its fields carries its papers itself, in one page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from tracker.errors import LayoutChangedError, ParseError, UserInputError
from tracker.records import MetricValue, Paper, ProfileRecord
from tracker.sources.base import Page
from tracker.sources.json_fields import (
    JsonObject,
    first_of_each_key,
    looks_like_json_object,
    match_url,
)

_API = "https://api.semanticscholar.org/graph/v1/author"
_AUTHOR_FIELDS = "name,affiliations,homepage,paperCount,citationCount,hIndex"
_PAPER_FIELDS = "title,year,authors,venue,publicationDate,citationCount,externalIds,url"
_PAGE_SIZE = 1000
_SITE_PATH = re.compile(r"/author/(?:[^/]+/)?(?P<id>[0-9]+)/?")
_PROFILE_PATHS = {
    "www.semanticscholar.org": _SITE_PATH,
    "semanticscholar.org": _SITE_PATH,
    "api.semanticscholar.org": re.compile(r"/graph/v1/author/(?P<id>[0-9]+)/?"),
}
_PAPERS_PATH = re.compile(r"/graph/v1/author/(?P<id>[0-9]+)/papers/?")
_METRICS = {"h_index": "hIndex", "citations": "citationCount", "paper_count": "paperCount"}


# ---------------------------------------------------------------------------- URLs


def _author_id(url: str) -> str | None:
    match = match_url(url, _PROFILE_PATHS)
    return match["id"] if match else None


def _papers_url(author_id: str, offset: int) -> str:
    return f"{_API}/{author_id}/papers?fields={_PAPER_FIELDS}&offset={offset}&limit={_PAGE_SIZE}"


def _papers_author(url: str | None) -> str:
    """The author whose papers the papers-page `url` lists."""
    match = _PAPERS_PATH.fullmatch(urlsplit(url).path) if url else None
    if match is None:
        raise ParseError(f"cannot tell whose papers the Semantic Scholar page {url} lists")
    return match["id"]


# ---------------------------------------------------------------------------- pages


def _is_author(body: JsonObject) -> bool:
    return isinstance(body.data.get("authorId"), str)


def _is_papers_page(body: JsonObject) -> bool:
    return isinstance(body.data.get("data"), list)


def _author(page: Page) -> JsonObject:
    body = JsonObject.load(page.text, where="Semantic Scholar author")
    if _is_author(body):
        return body
    if _is_papers_page(body):
        raise ParseError("a Semantic Scholar papers list, not an author: the author comes first")
    raise ParseError("the JSON is not a Semantic Scholar author")


def _papers_page(page: Page, number: int) -> JsonObject:
    where = f"Semantic Scholar papers page {number}"
    try:
        body = JsonObject.load(page.text, where=where)
    except ParseError as exc:
        raise LayoutChangedError(str(exc)) from exc
    if not _is_papers_page(body):
        raise LayoutChangedError(f"{where} has no data list")
    return body


# ---------------------------------------------------------------------------- records


def _metrics(author: JsonObject) -> dict[str, MetricValue]:
    return {metric: author.required_integer(key) for metric, key in _METRICS.items()}


def _paper(paper: JsonObject, warnings: list[str]) -> Paper | None:
    paper_id = paper.required_text("paperId")
    title = (paper.text("title") or "").strip()
    if not title:
        warnings.append(f"the Semantic Scholar paper {paper_id} has no title and was skipped")
        return None
    ids = paper.child("externalIds")
    doi = ids.text("DOI") if ids else None
    arxiv_id = ids.text("ArXiv") if ids else None
    if doi:
        key = f"doi:{doi.lower()}"
    elif arxiv_id:
        key = f"arxiv:{arxiv_id}"
    else:
        key = f"s2:{paper_id}"
    return Paper(
        key=key,
        title=title,
        authors=[name for author in paper.children("authors") if (name := author.text("name"))],
        published=paper.iso_date("publicationDate"),
        year=paper.integer("year"),
        venue=paper.text("venue") or None,
        url=paper.text("url") or f"https://www.semanticscholar.org/paper/{paper_id}",
        arxiv_id=arxiv_id or None,
        doi=doi or None,
        citations=paper.integer("citationCount"),
    )


def _papers(
    author: JsonObject, papers_pages: Sequence[JsonObject], warnings: list[str]
) -> list[Paper]:
    """The papers embedded in the author and on the papers pages; none when neither was fetched."""
    if not author.has("papers") and not papers_pages:
        return []
    listed = author.children("papers") + [p for page in papers_pages for p in page.children("data")]
    stated = author.required_integer("paperCount")
    if len(listed) != stated:
        warnings.append(f"Semantic Scholar states {stated} papers but {len(listed)} were read")
    papers = [paper for item in listed if (paper := _paper(item, warnings)) is not None]
    return first_of_each_key(papers, warnings)


def _affiliation(author: JsonObject) -> str | None:
    return next((name for name in author.texts("affiliations") if name.strip()), None)


# ---------------------------------------------------------------------------- the source


class SemanticScholarSource:
    """A Semantic Scholar author, read from the Semantic Scholar Graph API."""

    kind = "semantic_scholar"

    def recognises_url(self, url: str) -> bool:
        return _author_id(url) is not None

    def recognises_content(self, text: str) -> bool:
        return (
            looks_like_json_object(text)
            and '"authorId"' in text
            and ('"hIndex"' in text or '"paperCount"' in text)
        )

    def request_url(self, url: str) -> str:
        author_id = _author_id(url)
        if author_id is None:
            raise UserInputError(f"{url} names no Semantic Scholar author")
        return f"{_API}/{author_id}?fields={_AUTHOR_FIELDS}"

    def next_url(self, page: Page) -> str | None:
        try:
            body = JsonObject.load(page.text, where="Semantic Scholar page")
        except ParseError:
            return None  # not ours: parse_pages says why
        if _is_papers_page(body):
            offset = body.integer("next")
            if offset is None or not body.children("data"):
                return None
            return _papers_url(_papers_author(page.url), offset)
        if not _is_author(body) or body.has("papers"):
            return None
        return _papers_url(body.required_text("authorId"), 0)

    def parse(self, text: str, *, url: str | None, fetched_at: datetime) -> ProfileRecord:
        return self.parse_pages([Page(url, text)], fetched_at=fetched_at)

    def parse_pages(self, pages: Sequence[Page], *, fetched_at: datetime) -> ProfileRecord:
        if not pages:
            raise ParseError("no Semantic Scholar page to parse")
        author = _author(pages[0])
        papers_pages = [_papers_page(page, n) for n, page in enumerate(pages[1:], start=1)]
        warnings: list[str] = []
        papers = _papers(author, papers_pages, warnings)
        return ProfileRecord(
            source=self.kind,
            url=pages[0].url,
            fetched_at=fetched_at,
            name=author.required_text("name"),
            affiliation=_affiliation(author),
            metrics=_metrics(author),
            papers=papers,
            warnings=warnings,
        )


SOURCE = SemanticScholarSource()
