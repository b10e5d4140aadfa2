"""The sync hook: the alert events of one sync, into the outbox, in the sync's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tracker.alerts.attention import attention_events, profile_ref
from tracker.alerts.events import AlertEvent, change_events
from tracker.alerts.outbox import enqueue
from tracker.store import FetchStatus, engine

if TYPE_CHECKING:
    from tracker.sync import SyncResult


def record_sync_events(
    con: engine.Connection,
    *,
    profile_id: str,
    run_id: int,
    result: SyncResult,
    detected_at: datetime,
) -> list[AlertEvent]:
    """Record what one sync of a profile alerts about, after its fetch row is written.

    New papers and metric changes of a good snapshot (none for the baseline: the papers
    already there are not news), and the profile's "needs attention" / "recovered".
    """
    profile = profile_ref(con, profile_id)
    events = attention_events(con, profile, failed=result.failed, detected_at=detected_at)
    if result.status is not FetchStatus.BASELINE:
        events += change_events(profile, result.changes, detected_at)
    enqueue(con, events, run_id=run_id)
    return events
