"""A profile's failure streaks: one "needs attention" per streak, one "recovered" when it ends.

A streak is the run of failed, blocked or layout_changed fetches since the last good one. It
needs attention once it is `FAILURES_BEFORE_ATTENTION` long, or at once when the page layout
changed. `alert_attention` keeps the streaks that raised it, open until a good fetch ends them.
Everything here runs inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.alerts.events import (
    AlertEvent,
    AttentionInfo,
    ProfileRef,
    needs_attention_event,
    public_url,
    recovered_event,
)
from tracker.store import engine
from tracker.store.database import from_db_time
from tracker.store.statuses import GOOD_STATUSES, FetchStatus

FAILURES_BEFORE_ATTENTION = 2
BAD_STATUSES = (FetchStatus.FAILED, FetchStatus.BLOCKED, FetchStatus.LAYOUT_CHANGED)
_GOOD = [status.value for status in GOOD_STATUSES]
_BAD = [status.value for status in BAD_STATUSES]


def profile_ref(con: engine.Connection, profile_id: str) -> ProfileRef:
    row = con.execute("SELECT name, url FROM profiles WHERE id = ?", [profile_id]).fetchone()
    name, url = row if row else (None, None)
    return ProfileRef(id=profile_id, name=name, url=public_url(url))


def attention_events(
    con: engine.Connection, profile: ProfileRef, *, failed: bool, detected_at: datetime
) -> list[AlertEvent]:
    """After a fetch is recorded: "recovered" if a good fetch ended the open streak, and,
    after a failed one, "needs attention" if the current streak just became one that does."""
    events = [close_ended_streak(con, profile)]
    if failed:
        events.append(open_due_streak(con, profile, detected_at=detected_at))
    return [event for event in events if event is not None]


def close_ended_streak(con: engine.Connection, profile: ProfileRef) -> AlertEvent | None:
    """Mark the open streak recovered if a good fetch came after it; its "recovered" event."""
    row = con.execute(
        "SELECT event_id, start_fetch_id, since FROM alert_attention "
        "WHERE profile_id = ? AND recovered_at IS NULL",
        [profile.id],
    ).fetchone()
    if row is None:
        return None
    event_id, start_fetch_id, since = row
    good = con.execute(
        "SELECT id, fetched_at FROM fetches WHERE profile_id = ? AND list_contains(?, status) "
        "AND (fetched_at > ? OR (fetched_at = ? AND id > ?)) ORDER BY fetched_at, id LIMIT 1",
        [profile.id, _GOOD, since, since, start_fetch_id],
    ).fetchone()
    if good is None:
        return None
    good_id, recovered_at = good
    failures = _count(
        con,
        "SELECT count(*) FROM fetches WHERE profile_id = ? AND list_contains(?, status) "
        "AND (fetched_at > ? OR (fetched_at = ? AND id >= ?)) "
        "AND (fetched_at < ? OR (fetched_at = ? AND id < ?))",
        [profile.id, _BAD, since, since, start_fetch_id, recovered_at, recovered_at, good_id],
    )
    con.execute(
        "UPDATE alert_attention SET recovered_at = ? WHERE event_id = ?", [recovered_at, event_id]
    )
    return recovered_event(
        profile,
        streak=AttentionInfo(since=from_db_time(since), failures=failures),
        occurred_at=from_db_time(recovered_at),
    )


def open_due_streak(
    con: engine.Connection, profile: ProfileRef, *, detected_at: datetime
) -> AlertEvent | None:
    """A "needs attention" event if the current failure streak is due one and has none."""
    if con.execute(
        "SELECT 1 FROM alert_attention WHERE profile_id = ? AND recovered_at IS NULL", [profile.id]
    ).fetchone():
        return None
    streak = _current_streak(con, profile.id)
    if not streak:
        return None
    layout_changed = any(status == FetchStatus.LAYOUT_CHANGED for _, _, status, _ in streak)
    if len(streak) < FAILURES_BEFORE_ATTENTION and not layout_changed:
        return None
    start_fetch_id, since, _, _ = streak[-1]
    _, _, status, reason = streak[0]
    event = needs_attention_event(
        profile,
        streak=AttentionInfo(
            since=from_db_time(since),
            failures=len(streak),
            status="layout_changed" if layout_changed else status,
            reason=reason,
        ),
        occurred_at=detected_at,
    )
    con.execute(
        "INSERT INTO alert_attention VALUES (?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING",
        [event.id, profile.id, start_fetch_id, since],
    )
    return event


def _current_streak(con: engine.Connection, profile_id: str) -> list[tuple[Any, ...]]:
    """The failed fetches since the last good one, newest first.

    Rows of (id, fetched_at, status, reason).
    """
    rows = con.execute(
        "SELECT id, fetched_at, status, reason FROM fetches WHERE profile_id = ? "
        "ORDER BY fetched_at DESC, id DESC LIMIT 100",
        [profile_id],
    ).fetchall()
    streak = []
    for row in rows:
        if row[2] not in _BAD:
            break
        streak.append(row)
    return streak


def _count(con: engine.Connection, sql: str, params: list[Any]) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0
