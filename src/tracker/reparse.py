"""Parse archived pages again with the current parser and rebuild snapshots and changes."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.archive import Archive
from tracker.errors import BlockedError, ParseError
from tracker.pages import archived_pages
from tracker.sources import get_source
from tracker.store import FetchOutcome, FetchStatus, Store
from tracker.store.database import from_db_time
from tracker.sync import layout_reason, record_snapshot

# Fetches whose body was parsed (or could now be); not_modified repeats the previous body.
REPARSED_STATUSES = ("baseline", "changed", "unchanged", "layout_changed", "blocked")


@dataclass(frozen=True)
class ReparseResult:
    profile_id: str
    pages: int
    changes: int
    failed: int


def reparse_profile(store: Store, archive: Archive, profile_id: str) -> ReparseResult:
    """Replay every archived page of a profile, oldest first, in one transaction."""
    profile = store.profile(profile_id)
    source = get_source(profile.source)
    changes = failed = 0
    with store.transaction() as con:
        rows = con.execute(
            "SELECT id, run_id, fetched_at, http_status, content_sha256, content_type "
            "FROM fetches WHERE profile_id = ? AND content_sha256 IS NOT NULL "
            "AND list_contains(?, status) ORDER BY fetched_at, id",
            [profile_id, list(REPARSED_STATUSES)],
        ).fetchall()
        store.forget_snapshots(con, profile_id, [row[0] for row in rows])
        for fetch_id, run_id, fetched_at, http_status, digest, content_type in rows:
            outcome = FetchOutcome(
                status=FetchStatus.CHANGED,
                fetched_at=from_db_time(fetched_at),
                http_status=http_status,
                content_sha256=digest,
                content_type=content_type,
            )
            pages = archived_pages(archive, digest, content_type, profile.url)
            try:
                record = source.parse_pages(pages, fetched_at=outcome.fetched_at)
            except BlockedError as error:
                store.update_fetch(con, fetch_id, FetchStatus.BLOCKED, error.one_line())
                failed += 1
                continue
            except ParseError as error:
                store.update_fetch(
                    con, fetch_id, FetchStatus.LAYOUT_CHANGED, layout_reason(str(error))
                )
                failed += 1
                continue
            result = record_snapshot(
                store, con, run_id, profile_id, outcome, record, fetch_id=fetch_id
            )
            changes += len(result.changes)
            failed += result.failed
    return ReparseResult(profile_id, len(rows), changes, failed)
