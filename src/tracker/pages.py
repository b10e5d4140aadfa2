"""Fetching every page of a profile, and keeping them in the archive as one snapshot.

A single-page profile is archived as its body. A profile that spans pages
(Scholar's "show more", an API's cursor) is archived as a small JSON manifest
naming each page's body, so `reparse` can load the same pages again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from tracker.archive import Archive
from tracker.credentials import Credentials, authorise, unsigned
from tracker.errors import FetchError
from tracker.fetch import Fetcher, FetchResult, decode_body
from tracker.sources.base import Page, Source

BUNDLE_CONTENT_TYPE = "application/vnd.tracker.pages+json"
MAX_PAGES = 200  # 20,000 papers at Scholar's 100 a page; a page loop stops here


def fetch_pages(
    fetcher: Fetcher,
    source: Source,
    url: str,
    *,
    credentials: Credentials,
    etag: str | None = None,
    last_modified: str | None = None,
) -> list[FetchResult]:
    """The profile's first page and every page after it; only the first is conditional."""
    first = _fetch(fetcher, source, source.request_url(url), credentials, etag, last_modified)
    pages = [first]
    if first.not_modified:
        return pages
    while (following := source.next_url(_page(pages[-1]))) is not None:
        if len(pages) >= MAX_PAGES:
            raise FetchError(f"the profile has more than {MAX_PAGES} pages; stopped there")
        pages.append(_fetch(fetcher, source, following, credentials, None, None))
    return pages


def archive_pages(archive: Archive, pages: Sequence[FetchResult]) -> tuple[str, str | None]:
    """Archive the pages; returns the snapshot's digest and content type."""
    if len(pages) == 1:
        return archive.put(pages[0].body), pages[0].content_type
    manifest = [
        {"url": page.url, "content_type": page.content_type, "sha256": archive.put(page.body)}
        for page in pages
    ]
    return archive.put(json.dumps(manifest).encode()), BUNDLE_CONTENT_TYPE


def archived_pages(
    archive: Archive, digest: str, content_type: str | None, url: str | None
) -> list[Page]:
    """The pages of an archived snapshot, decoded."""
    body = archive.get(digest)
    if content_type != BUNDLE_CONTENT_TYPE:
        return [Page(url, decode_body(body, content_type))]
    return [
        Page(entry["url"], decode_body(archive.get(entry["sha256"]), entry["content_type"]))
        for entry in json.loads(body)
    ]


def decoded(pages: Sequence[FetchResult]) -> list[Page]:
    return [_page(page) for page in pages]


def _fetch(
    fetcher: Fetcher,
    source: Source,
    url: str,
    credentials: Credentials,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    signed_url, headers = authorise(source.kind, url, credentials)
    page = fetcher.fetch(signed_url, etag=etag, last_modified=last_modified, headers=headers)
    # An API key in a query string must not reach the archive or the database.
    return page if signed_url == url else replace(page, url=unsigned(page.url))


def _page(page: FetchResult) -> Page:
    return Page(page.url, decode_body(page.body, page.content_type))
