"""The registry of page kinds tracker knows, keyed by kind.

Adding a source is one new module with a `SOURCE` object and one line here.
Order matters: specific sources come first, the generic profile page last.
"""

from __future__ import annotations

from tracker.errors import ParseError, UserInputError
from tracker.sources import arxiv, openalex, profile_page, scholar, semantic_scholar
from tracker.sources.base import Source

SOURCES: dict[str, Source] = {
    source.kind: source
    for source in (
        scholar.SOURCE,
        openalex.SOURCE,
        semantic_scholar.SOURCE,
        arxiv.SOURCE,
        profile_page.SOURCE,
    )
}


def get_source(kind: str) -> Source:
    try:
        return SOURCES[kind]
    except KeyError:
        known = ", ".join(SOURCES)
        raise UserInputError(f"unknown source {kind!r}", hint=f"known sources: {known}") from None


def source_for_url(url: str) -> Source:
    """The first source that claims the URL."""
    for source in SOURCES.values():
        if source.recognises_url(url):
            return source
    raise UserInputError(f"no source handles {url}", hint="give an http or https URL")


def source_for_content(text: str) -> Source:
    """The first source that recognises the page's content."""
    for source in SOURCES.values():
        if source.recognises_content(text):
            return source
    raise ParseError("the page is not a profile page tracker recognises")


__all__ = ["SOURCES", "Source", "get_source", "source_for_content", "source_for_url"]
