"""Fetching every page of a profile, and keeping them in the archive as one snapshot.

A single-page profile is archived as its body. A profile that spans pages
(Scholar's "show more", an API's cursor) is archived as a small JSON manifest
naming each page's body, so `reparse` can load the same pages again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import quote, urlsplit

from tracker.archive import Archive
from tracker.credentials import Credentials, authorise, secrets, unsigned
from tracker.errors import FetchError
from tracker.fetch import Fetcher, FetchResult, decode_body, redact_url
from tracker.sources.base import Page, Source

BUNDLE_CONTENT_TYPE = "application/vnd.tracker.pages+json"
MAX_PAGES = 200  # 20,000 papers at Scholar's 100 a page; a page loop stops here
REDACTED = b"[redacted]"


def fetch_pages(
    fetcher: Fetcher,
    source: Source,
    url: str,
    *,
    credentials: Credentials,
    etag: str | None = None,
    last_modified: str | None = None,
) -> list[FetchResult]:
    """The profile's first page and every page after it; only the first is conditional.

    A next page is only fetched from a host the profile's pages came from: what a page
    says cannot send tracker anywhere else.
    """
    requested = source.request_url(url)
    first = _fetch(fetcher, source, requested, credentials, etag, last_modified)
    pages = [first]
    if first.not_modified:
        return pages
    while (following := source.next_url(_page(pages[-1]))) is not None:
        if len(pages) >= MAX_PAGES:
            raise FetchError(f"the profile has more than {MAX_PAGES} pages; stopped there")
        hosts = {_host(requested), *(_host(page.url) for page in pages)}
        if _host(following) not in hosts:
            raise FetchError(
                f"the page {redact_url(pages[-1].url)} names its next page on another host"
                f" ({redact_url(following)}); not followed"
            )
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
    authorisation = authorise(source.kind, credentials)
    page = fetcher.fetch(
        url,
        etag=etag,
        last_modified=last_modified,
        headers=authorisation.headers,
        sign=authorisation.sign if authorisation.query else None,
    )
    # An API key must not reach the archive or the database: not in the URL (a redirect may
    # carry it on), nor in a body that echoes the request (an error page quoting its URL).
    body = _without_secrets(page.body, secrets(credentials))
    if not authorisation.query and body is page.body:
        return page
    return replace(page, url=unsigned(page.url), body=body)


def _without_secrets(body: bytes, values: Sequence[str]) -> bytes:
    for value in values:
        for form in {value, quote(value, safe="")}:
            if form and form.encode() in body:
                body = body.replace(form.encode(), REDACTED)
    return body


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _page(page: FetchResult) -> Page:
    return Page(page.url, decode_body(page.body, page.content_type))
