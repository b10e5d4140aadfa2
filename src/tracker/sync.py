"""Sync one profile: fetch, archive, parse, check, diff and store, in one transaction.

The flows call these functions; the benchmarks' bare loop calls them too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tracker.alerts.record import record_sync_events
from tracker.archive import Archive
from tracker.changes import Change, diff
from tracker.credentials import Credentials
from tracker.errors import BlockedError, FetchError, ParseError, StorageError
from tracker.fetch import Fetcher, FetchResult, OffHostRedirectError, redact_url
from tracker.pages import archive_pages, archived_pages, decoded, fetch_pages
from tracker.plausibility import implausible_reason
from tracker.records import ProfileRecord
from tracker.sources import get_source
from tracker.sources.base import Page
from tracker.store import FetchOutcome, FetchStatus, Profile, RunStatus, Store, engine

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SyncResult:
    """What syncing one profile came to."""

    profile_id: str
    status: FetchStatus
    changes: tuple[Change, ...] = ()
    reason: str | None = None
    paper_count: int | None = None

    @property
    def failed(self) -> bool:
        return not self.status.is_good


@dataclass
class Syncer:
    """Everything one process needs to sync profiles into one store."""

    store: Store
    fetcher: Fetcher
    archive: Archive
    clock: Clock = field(default=utc_now)
    credentials: Credentials = field(default_factory=Credentials)

    def sync(self, run_id: int, profile_id: str) -> SyncResult:
        profile = self.store.profile(profile_id)
        source = get_source(profile.source)
        fetched_at = self.clock()
        try:
            pages = fetch_pages(
                self.fetcher,
                source,
                profile.url,
                credentials=self.credentials,
                etag=profile.etag,
                last_modified=profile.last_modified,
            )
        except OffHostRedirectError as error:
            status = (
                FetchStatus.BLOCKED if is_sign_in(error.redirect_target) else FetchStatus.FAILED
            )
            reason = f"{error} (it looks like a sign-in page)" if status.is_blocked else str(error)
            return self._record_failure(run_id, profile, status, fetched_at, reason)
        except BlockedError as error:
            return self._record_failure(
                run_id, profile, FetchStatus.BLOCKED, fetched_at, error.one_line()
            )
        except FetchError as error:
            return self._record_failure(run_id, profile, FetchStatus.FAILED, fetched_at, str(error))
        first = pages[0]
        if first.not_modified:
            return self._record_not_modified(run_id, profile, fetched_at, first)
        if not first.body.strip():
            return self._record_failure(
                run_id,
                profile,
                FetchStatus.FAILED,
                fetched_at,
                "the server sent an empty page",
                first,
            )
        if (sign_in := _sign_in_page(profile.url, pages)) is not None:
            reason = BlockedError(f"the site redirected to a sign-in page ({sign_in})").one_line()
            return self._record_failure(
                run_id, profile, FetchStatus.BLOCKED, fetched_at, reason, first
            )
        try:
            digest, content_type = archive_pages(self.archive, pages)
        except StorageError as error:  # a full disk, say: the fetch failed, nothing is half-kept
            reason = f"could not keep the page in the archive: {error.one_line()}"
            return self._record_failure(
                run_id, profile, FetchStatus.FAILED, fetched_at, reason, first
            )
        if digest == profile.content_sha256:
            return self._record_not_modified(
                run_id, profile, fetched_at, first, digest, content_type
            )
        outcome = FetchOutcome(
            status=FetchStatus.CHANGED,
            fetched_at=fetched_at,
            http_status=first.status,
            content_sha256=digest,
            content_type=content_type,
        )
        texts = decoded(pages)
        try:
            record = source.parse_pages(texts, fetched_at=fetched_at)
        except BlockedError as error:
            return self._record_failure(
                run_id, profile, FetchStatus.BLOCKED, fetched_at, error.one_line(), first
            )
        except ParseError as error:
            if looks_refused(texts):
                reason = BlockedError(
                    f"the site sent a CAPTCHA or sign-in page instead of the profile ({error})"
                ).one_line()
                return self._record_failure(
                    run_id, profile, FetchStatus.BLOCKED, fetched_at, reason, first
                )
            return self._record_failure(
                run_id,
                profile,
                FetchStatus.LAYOUT_CHANGED,
                fetched_at,
                layout_reason(str(error)),
                first,
                digest,
                content_type,
            )
        if (cut_short := self._cut_short(profile, texts, record)) is not None:
            return self._record_failure(
                run_id, profile, FetchStatus.FAILED, fetched_at, cut_short, first
            )
        with self.store.transaction() as con:
            result = record_snapshot(self.store, con, run_id, profile.id, outcome, record)
            if result.status.is_good and first.moved_permanently:
                self.store.move_profile(con, profile.id, first.url)
            if result.status.is_good:
                self.store.set_validators(
                    con,
                    profile.id,
                    etag=first.etag,
                    last_modified=first.last_modified,
                    content_sha256=digest,
                )
            record_sync_events(
                con, profile_id=profile.id, run_id=run_id, result=result, detected_at=fetched_at
            )
        return result

    def _cut_short(
        self, profile: Profile, pages: Sequence[Page], record: ProfileRecord
    ) -> str | None:
        """Why the page looks served in part, or None.

        A page that ends before the closing </html> the last good page had, and misses
        papers that page listed, was cut short: storing it would report them removed.
        """
        if not any(_unclosed_html(page.text) for page in pages):
            return None
        previous = self.store.current_record(profile.id)
        if previous is None or profile.content_sha256 is None:
            return None
        missing = {paper.key for paper in previous.papers} - {paper.key for paper in record.papers}
        if not missing or not self._last_good_page_closed(profile, profile.content_sha256):
            return None
        return (
            f"the page looks cut short: it ends before its closing </html> tag and "
            f"{len(missing)} of its {len(previous.papers)} papers are missing; "
            "the previous data is kept"
        )

    def _last_good_page_closed(self, profile: Profile, digest: str) -> bool:
        rows = self.store.query(
            "SELECT content_type FROM fetches WHERE profile_id = ? AND content_sha256 = ? "
            "ORDER BY id DESC LIMIT 1",
            [profile.id, digest],
        )
        content_type = rows[0][0] if rows else None
        try:
            pages = archived_pages(self.archive, digest, content_type, profile.url)
        except StorageError:
            return False
        return all(_HTML_END.search(page.text) for page in pages)

    def record_failure(self, run_id: int, profile_id: str, reason: str) -> SyncResult:
        """Record a failure that happened outside the fetch (a crashed task, say)."""
        profile = self.store.profile(profile_id)
        return self._record_failure(run_id, profile, FetchStatus.FAILED, self.clock(), reason)

    def _record_not_modified(
        self,
        run_id: int,
        profile: Profile,
        fetched_at: datetime,
        page: FetchResult,
        digest: str | None = None,
        content_type: str | None = None,
    ) -> SyncResult:
        outcome = FetchOutcome(
            status=FetchStatus.NOT_MODIFIED,
            fetched_at=fetched_at,
            http_status=page.status,
            content_sha256=digest,
            content_type=content_type,
        )
        result = SyncResult(profile.id, FetchStatus.NOT_MODIFIED)
        with self.store.transaction() as con:
            self.store.insert_fetch(con, run_id, profile.id, outcome)
            if page.etag or page.last_modified:
                self.store.set_validators(
                    con,
                    profile.id,
                    etag=page.etag or profile.etag,
                    last_modified=page.last_modified or profile.last_modified,
                    content_sha256=profile.content_sha256,
                )
            record_sync_events(
                con, profile_id=profile.id, run_id=run_id, result=result, detected_at=fetched_at
            )
        return result

    def _record_failure(
        self,
        run_id: int,
        profile: Profile,
        status: FetchStatus,
        fetched_at: datetime,
        reason: str,
        page: FetchResult | None = None,
        digest: str | None = None,
        content_type: str | None = None,
    ) -> SyncResult:
        outcome = FetchOutcome(
            status=status,
            fetched_at=fetched_at,
            http_status=page.status if page else None,
            content_sha256=digest,
            content_type=content_type,
            reason=reason,
        )
        result = SyncResult(profile.id, status, reason=reason)
        with self.store.transaction() as con:
            self.store.insert_fetch(con, run_id, profile.id, outcome)
            record_sync_events(
                con, profile_id=profile.id, run_id=run_id, result=result, detected_at=fetched_at
            )
        return result


SIGN_IN_HINTS = ("accounts.google.", "/signin", "/sign-in", "/login", "/sorry/", "captcha")
# What a page that failed to parse says when it is a refusal rather than a redesign.
_REFUSAL = re.compile(
    r"captcha|unusual\s+traffic|not\s+a\s+robot|verify\s+(?:that\s+)?you\s+are\s+(?:a\s+)?human"
    r"|\btype\s*=\s*[\"']?password",  # a password field
    re.IGNORECASE,
)
_HTML_START = re.compile(r"<(?:[\w-]+:)?html[\s>]", re.IGNORECASE)
_HTML_END = re.compile(r"</(?:[\w-]+:)?html\s*>", re.IGNORECASE)


def is_sign_in(url: str) -> bool:
    """Does a redirect target look like a sign-in or CAPTCHA page (the site refused us)?"""
    return any(hint in url.lower() for hint in SIGN_IN_HINTS)


def looks_refused(pages: Sequence[Page]) -> bool:
    """Does a page that did not parse look like a CAPTCHA or a sign-in form?"""
    return any(_REFUSAL.search(page.text) for page in pages)


def _sign_in_page(profile_url: str, pages: Sequence[FetchResult]) -> str | None:
    """Where a redirect on the profile's own host led, when that looks like a sign-in page."""
    if is_sign_in(profile_url):
        return None
    return next((redact_url(page.url) for page in pages if is_sign_in(page.url)), None)


def _unclosed_html(text: str) -> bool:
    return _HTML_START.search(text) is not None and _HTML_END.search(text) is None


def record_snapshot(
    store: Store,
    con: engine.Connection,
    run_id: int,
    profile_id: str,
    outcome: FetchOutcome,
    record: ProfileRecord,
    *,
    fetch_id: int | None = None,
) -> SyncResult:
    """Check a parsed snapshot against the last good one, then store it and its changes.

    Runs inside the caller's transaction. A snapshot that looks broken is kept
    as a layout_changed fetch and changes nothing else. With `fetch_id` the
    existing fetch row is updated (a re-parse) instead of a new one inserted.
    """
    previous = store.record_in(con, profile_id)
    reason = implausible_reason(previous, record)
    if reason is not None:
        failed = outcome.model_copy(
            update={"status": FetchStatus.LAYOUT_CHANGED, "reason": layout_reason(reason)}
        )
        _write_fetch(store, con, run_id, profile_id, failed, fetch_id)
        return SyncResult(profile_id, FetchStatus.LAYOUT_CHANGED, reason=failed.reason)
    baseline = previous is None
    changes = () if previous is None else tuple(diff(previous, record))
    status = (
        FetchStatus.BASELINE
        if baseline
        else FetchStatus.CHANGED
        if changes
        else FetchStatus.UNCHANGED
    )
    good = outcome.model_copy(update={"status": status, "reason": None})
    fetch_id = _write_fetch(store, con, run_id, profile_id, good, fetch_id)
    store.apply_snapshot(
        con,
        run_id=run_id,
        fetch_id=fetch_id,
        profile_id=profile_id,
        record=record,
        changes=changes,
        baseline=baseline,
    )
    return SyncResult(profile_id, status, changes, paper_count=len(record.papers))


def _write_fetch(
    store: Store,
    con: engine.Connection,
    run_id: int,
    profile_id: str,
    outcome: FetchOutcome,
    fetch_id: int | None,
) -> int:
    if fetch_id is None:
        return store.insert_fetch(con, run_id, profile_id, outcome)
    store.update_fetch(con, fetch_id, outcome.status, outcome.reason)
    return fetch_id


def layout_reason(reason: str) -> str:
    return f"the page layout changed or the page is blocked: {reason}"


def run_status(results: list[SyncResult]) -> RunStatus:
    """ok when every profile synced, failed when none did, partial otherwise."""
    failures = sum(result.failed for result in results)
    if failures == 0:
        return RunStatus.OK
    return RunStatus.FAILED if failures == len(results) else RunStatus.PARTIAL
