"""The interface every source implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tracker.records import ProfileRecord


@dataclass(frozen=True)
class Page:
    """One fetched (or archived) page of a profile: where it came from and its decoded text."""

    url: str | None
    text: str


class Source(Protocol):
    """A kind of profile: how to recognise it, which pages to fetch, and how to parse them.

    A profile may span several pages (Scholar's "show more", an API's cursor):
    the syncer fetches `request_url(url)`, then `next_url(...)` of each page
    until it returns None, and hands all pages to `parse_pages`.

    Parsing is pure: no I/O, no clock, no globals. It returns a record or raises
    `tracker.errors.ParseError` (`LayoutChangedError` when the kind is right but
    the page cannot be read), or `tracker.errors.BlockedError` for a CAPTCHA,
    sign-in or "unusual traffic" page.
    """

    kind: str

    def recognises_url(self, url: str) -> bool: ...

    def recognises_content(self, text: str) -> bool: ...

    def request_url(self, url: str) -> str:
        """The URL to fetch first for a profile added as `url`."""
        ...

    def next_url(self, page: Page) -> str | None:
        """The page after `page`, or None when `page` is the last."""
        ...

    def parse(self, text: str, *, url: str | None, fetched_at: datetime) -> ProfileRecord:
        """Parse one page (the whole profile for single-page sources)."""
        ...

    def parse_pages(self, pages: Sequence[Page], *, fetched_at: datetime) -> ProfileRecord:
        """Parse every page of one fetch into one record."""
        ...


class SinglePageSource:
    """Defaults for a source whose profile is one page: fetch it as given, parse it alone."""

    def request_url(self, url: str) -> str:
        return url

    def next_url(self, page: Page) -> str | None:
        return None

    def parse(self, text: str, *, url: str | None, fetched_at: datetime) -> ProfileRecord:
        raise NotImplementedError

    def parse_pages(self, pages: Sequence[Page], *, fetched_at: datetime) -> ProfileRecord:
        [page] = pages
        return self.parse(page.text, url=page.url, fetched_at=fetched_at)
