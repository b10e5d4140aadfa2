"""arXiv authors, read as Atom feeds: an author's own feed, or an API search for an author.

    https://arxiv.org/a/warner_s_1               the author's page (HTML)
    https://arxiv.org/a/warner_s_1.atom          the same as an Atom feed: every paper, one page
    https://export.arxiv.org/api/query?search_query=au:del_maestro&start=0&max_results=200&...
    ...&start=<start + itemsPerPage>             while that is below opensearch:totalResults

arXiv also serves `.atom2`, which joins a paper's authors into one comma-separated name; `.atom`
lists them one by one, as the API does. arXiv counts no citations: its one metric is the number
of papers.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from tracker.errors import BlockedError, LayoutChangedError, ParseError, UserInputError
from tracker.records import Paper, ProfileRecord
from tracker.sources.base import Page
from tracker.sources.json_fields import first_of_each_key, match_url

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "arxiv": "http://arxiv.org/schemas/atom",
}
_FEED_TAG = f"{{{_NS['atom']}}}feed"
_API = "https://export.arxiv.org/api/query"
_API_HOSTS = frozenset({"export.arxiv.org", "arxiv.org", "www.arxiv.org"})
_PAGE_DEFAULTS = {
    "start": "0",
    "max_results": "200",
    "sortBy": "submittedDate",
    "sortOrder": "descending",
}
_ORCID = r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]"
# An author id is the last name, the first initial and a number, in lowercase a-z (or an ORCID).
_AUTHOR_PAGE = re.compile(
    rf"/a/(?P<id>[a-z]+_[a-z]_[0-9]+|{_ORCID})(?:\.(?:html|atom2?))?/?", re.IGNORECASE
)
_AUTHOR_PAGES = {"arxiv.org": _AUTHOR_PAGE, "www.arxiv.org": _AUTHOR_PAGE}
_AUTHOR_TERM = re.compile(r'\bau:\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s()"]+))', re.IGNORECASE)
_QUERY_TITLE = re.compile(r"\s*arxiv query:\s*(?P<query>.*)", re.IGNORECASE | re.DOTALL)
_AUTHOR_FEED_TITLE = re.compile(r"(?P<name>.+?)['\u2019]s articles on arxiv", re.IGNORECASE)
_FEED_ID = re.compile(r"https?://(?:export\.)?arxiv\.org/(?P<kind>api|a)/\S*")
_FEED_ID_IN_TEXT = re.compile(r"<id>\s*https?://(?:export\.)?arxiv\.org/(?:api|a)/")
_ERROR_ID = re.compile(r"https?://(?:export\.)?arxiv\.org/api/errors")
_ABS_URL = re.compile(
    r"https?://(?:export\.)?arxiv\.org/abs/"
    r"(?P<id>[0-9]{4}\.[0-9]{4,5}|[a-z-]+(?:\.[a-z-]+)?/[0-9]{7})(?P<version>v[0-9]+)?",
    re.IGNORECASE,
)
_DECLARATION = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_COUNT = re.compile(r"[0-9]+")
_MAX_COUNT_DIGITS = 18  # int() refuses very long digit strings; no count of papers gets near
_BOM_AND_SPACE = "\ufeff \t\r\n"
_RATE_LIMITED = "Rate exceeded"


# ---------------------------------------------------------------------------- URLs


def _author_page_id(url: str) -> str | None:
    """`warner_s_1` (or an ORCID) for an arXiv author page URL, else None."""
    match = match_url(url, _AUTHOR_PAGES)
    if match is None:
        return None
    found = match["id"]
    return found.upper() if re.fullmatch(_ORCID, found, re.IGNORECASE) else found.lower()


def _api_params(url: str | None) -> list[tuple[str, str]] | None:
    """The parameters of an arXiv API search for an author, or None for any other URL."""
    try:
        parts = urlsplit(url.strip()) if url else None
        host = parts.hostname if parts else None
    except ValueError:  # e.g. a broken IPv6 host
        return None
    if parts is None or parts.scheme not in ("http", "https") or host not in _API_HOSTS:
        return None
    if parts.path.rstrip("/") != "/api/query":
        return None
    params = parse_qsl(parts.query, keep_blank_values=True)
    return params if _author_name(dict(params).get("search_query", "")) else None


def _api_url(params: Sequence[tuple[str, str]]) -> str:
    return f"{_API}?{urlencode(params, quote_via=quote, safe=':,*')}"


def _with_param(params: Sequence[tuple[str, str]], key: str, value: str) -> list[tuple[str, str]]:
    """The parameters with `key` set to `value`, in place when it is there, else at the end."""
    if not any(name == key for name, _ in params):
        return [*params, (key, value)]
    return [(name, value if name == key else old) for name, old in params]


def _author_name(search_query: str) -> str | None:
    """The first author the query names, readable: `au:del_maestro AND ti:x` → `del maestro`."""
    for term in _AUTHOR_TERM.finditer(search_query):
        name = " ".join((term["quoted"] or term["bare"] or "").replace("_", " ").split())
        if name:
            return name
    return None


# ---------------------------------------------------------------------------- the feed


@dataclass(frozen=True)
class _Feed:
    """One arXiv Atom feed: an API search page, or an author's own feed."""

    root: ET.Element
    is_search: bool

    def text(self, path: str) -> str | None:
        return _text(self.root, path)

    def count(self, path: str) -> int | None:
        """A whole number the feed states (the opensearch counts), or None when it has none."""
        value = self.text(path)
        if value is None:
            return None
        if not _COUNT.fullmatch(value) or len(value) > _MAX_COUNT_DIGITS:
            raise LayoutChangedError(f"the arXiv feed's {path} is {value[:40]!r}, not a count")
        return int(value)

    @property
    def entries(self) -> list[ET.Element]:
        return self.root.findall("atom:entry", _NS)

    @property
    def total(self) -> int | None:
        return self.count("opensearch:totalResults")


def _read_feed(text: str) -> _Feed:
    """The arXiv feed in `text`; ParseError for anything else, BlockedError when rate-limited."""
    body = text.lstrip(_BOM_AND_SPACE)
    if body.startswith(_RATE_LIMITED):
        raise BlockedError("arXiv answered 'Rate exceeded.' instead of a feed")
    # An arXiv feed declares no DTD; refusing them all rules out entity expansion bombs.
    if _DECLARATION.search(body):
        raise ParseError("the XML declares a DOCTYPE or an ENTITY, which no arXiv feed does")
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, ValueError) as exc:  # ValueError: text the XML parser cannot encode
        raise ParseError(f"the body is not well-formed XML ({exc})") from exc
    if root.tag != _FEED_TAG:
        raise ParseError("the XML is not an Atom feed")
    match = _FEED_ID.fullmatch(_text(root, "atom:id") or "")
    if match is None:
        raise ParseError("the Atom feed is not an arXiv feed")
    feed = _Feed(root, is_search=match["kind"] == "api")
    _raise_on_error_entry(feed)
    return feed


def _raise_on_error_entry(feed: _Feed) -> None:
    """arXiv reports a bad query as a feed whose one entry, titled Error, explains it."""
    for entry in feed.entries:
        if _ERROR_ID.match(_text(entry, "atom:id") or ""):
            reason = _text(entry, "atom:summary") or "no reason given"
            raise ParseError(f"arXiv refused the query: {reason}")


def _following_feed(page: Page, number: int) -> _Feed:
    try:
        return _read_feed(page.text)
    except ParseError as exc:
        raise LayoutChangedError(f"arXiv page {number}: {exc}") from exc


def _text(element: ET.Element, path: str) -> str | None:
    """The element's text at `path` with its whitespace collapsed, or None when missing or blank."""
    value = " ".join((element.findtext(path, namespaces=_NS) or "").split())
    return value or None


# ---------------------------------------------------------------------------- the record


def _name(feed: _Feed, url: str | None) -> str:
    """The author's name: from an author feed's title, or from the author part of the query."""
    title = feed.text("atom:title")
    if not feed.is_search:
        if title is None:
            raise LayoutChangedError("the arXiv author feed has no title")
        match = _AUTHOR_FEED_TITLE.fullmatch(title)
        return match["name"].strip() if match else title
    query = _query_in_title(title) if title else None
    if query is None:
        query = dict(_api_params(url) or []).get("search_query")
    if query is None:
        raise LayoutChangedError("the arXiv search feed does not say which query it answers")
    name = _author_name(query)
    if name is None:
        raise ParseError(f"the arXiv query {query!r} names no author (au:...)")
    return name


def _query_in_title(title: str) -> str | None:
    """The search_query in an API feed's title, `ArXiv Query: search_query=...&id_list=...`."""
    match = _QUERY_TITLE.fullmatch(title)
    return dict(parse_qsl(match["query"])).get("search_query") if match else None


def _published(entry: ET.Element, where: str) -> date | None:
    value = _text(entry, "atom:published")
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise LayoutChangedError(f"{where}: published {value!r} is not a date") from None


def _abs_url(entry: ET.Element) -> str | None:
    for link in entry.findall("atom:link", _NS):
        if link.get("rel") == "alternate" and (href := link.get("href")):
            return href
    return None


def _paper(entry: ET.Element, warnings: list[str]) -> Paper | None:
    entry_id = _text(entry, "atom:id") or ""
    match = _ABS_URL.fullmatch(entry_id)
    if match is None:
        raise LayoutChangedError(f"an arXiv entry's id {entry_id!r} is not an abstract URL")
    title = _text(entry, "atom:title")
    if title is None:
        warnings.append(f"the arXiv paper {entry_id} has no title and was skipped")
        return None
    published = _published(entry, entry_id)
    category = entry.find("arxiv:primary_category", _NS)
    return Paper(
        key=f"arxiv:{match['id']}",
        title=title,
        authors=[
            name
            for author in entry.findall("atom:author", _NS)
            if (name := _text(author, "atom:name"))
        ],
        published=published,
        year=published.year if published else None,
        category=(category.get("term") or None) if category is not None else None,
        venue=_text(entry, "arxiv:journal_ref"),
        url=_abs_url(entry) or entry_id,
        arxiv_id=f"{match['id']}{match['version'] or ''}",
        doi=_text(entry, "arxiv:doi"),
        abstract=_text(entry, "atom:summary"),
    )


def _paper_count(first: _Feed, read: int, warnings: list[str]) -> int:
    """The number of papers arXiv states (an author feed states none: it holds them all)."""
    total = first.total
    if total is None:
        return read
    if total != read:
        warnings.append(f"arXiv counts {total} papers but {read} were read")
    return total


# ---------------------------------------------------------------------------- the source


class ArxivSource:
    """An arXiv author: their own feed by author id or ORCID, or an API search by author name."""

    kind = "arxiv"

    def recognises_url(self, url: str) -> bool:
        return _author_page_id(url) is not None or _api_params(url) is not None

    def recognises_content(self, text: str) -> bool:
        head = text.lstrip(_BOM_AND_SPACE)
        if not head.startswith("<") or _NS["atom"] not in text:
            return False
        search_page = "totalResults" in text and "arxiv.org/abs/" in text
        return search_page or _FEED_ID_IN_TEXT.search(text) is not None

    def request_url(self, url: str) -> str:
        if (author_id := _author_page_id(url)) is not None:
            return f"https://arxiv.org/a/{author_id}.atom"
        params = _api_params(url)
        if params is None:
            raise UserInputError(f"{url} names no arXiv author page or author search (au:...)")
        for key, value in _PAGE_DEFAULTS.items():
            if key not in dict(params):
                params = _with_param(params, key, value)
        return _api_url(params)

    def next_url(self, page: Page) -> str | None:
        try:
            feed = _read_feed(page.text)
            start = feed.count("opensearch:startIndex")
            per_page = feed.count("opensearch:itemsPerPage")
            total = feed.total
        except (ParseError, BlockedError):
            return None  # not a feed to page on: parse_pages says why
        if not feed.is_search or start is None or not per_page or total is None:
            return None
        if not feed.entries or start + per_page >= total:
            return None
        params = _api_params(page.url)
        if params is None:
            raise ParseError(f"cannot tell which arXiv search the page {page.url} answers")
        return _api_url(_with_param(params, "start", str(start + per_page)))

    def parse(self, text: str, *, url: str | None, fetched_at: datetime) -> ProfileRecord:
        return self.parse_pages([Page(url, text)], fetched_at=fetched_at)

    def parse_pages(self, pages: Sequence[Page], *, fetched_at: datetime) -> ProfileRecord:
        if not pages:
            raise ParseError("no arXiv page to parse")
        first = _read_feed(pages[0].text)
        name = _name(first, pages[0].url)
        feeds = [first, *(_following_feed(page, n) for n, page in enumerate(pages[1:], start=1))]
        entries = [entry for feed in feeds for entry in feed.entries]
        warnings: list[str] = []
        paper_count = _paper_count(first, len(entries), warnings)
        papers = [paper for entry in entries if (paper := _paper(entry, warnings)) is not None]
        return ProfileRecord(
            source=self.kind,
            url=pages[0].url,
            fetched_at=fetched_at,
            name=name,
            metrics={"paper_count": paper_count},
            papers=first_of_each_key(papers, warnings),
            warnings=warnings,
        )


SOURCE = ArxivSource()
