"""The outbox: an alert is written with the change that caused it, then claimed, sent, marked.

One row per (channel, event), so enqueueing the same event again is a no-op. A delivery
claims due rows in one transaction (so two deliveries never send the same row), then marks
each sent or failed; a failed row waits `RetryPolicy.delay` before the next try and is given
up after `max_attempts`. A claim whose process died is taken over after `lease`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tracker.alerts.events import AlertEvent
from tracker.store import Store, engine
from tracker.store.database import from_db_time, to_db_time


class Digest(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not tried yet (or a digest waiting for its period to end)
    SENDING = "sending"  # claimed by a delivery
    SENT = "sent"
    FAILED = "failed"  # the last try failed; tried again at next_attempt_at
    GAVE_UP = "gave_up"  # failed max_attempts times


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    first_delay: timedelta = timedelta(minutes=5)
    max_delay: timedelta = timedelta(hours=12)
    lease: timedelta = timedelta(minutes=15)

    def delay(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th failed try: doubling, capped."""
        return min(self.first_delay * (1 << max(attempts - 1, 0)), self.max_delay)


@dataclass(frozen=True)
class OutboxItem:
    channel_id: int
    event: AlertEvent
    attempts: int
    period_end: datetime | None


@dataclass(frozen=True)
class Claim:
    token: str
    items: tuple[OutboxItem, ...]


def period_end(digest: Digest, moment: datetime) -> datetime:
    """When the digest period holding `moment` ends: the next UTC midnight, or Monday's."""
    day = to_db_time(moment).replace(hour=0, minute=0, second=0, microsecond=0)
    days = 1 if digest is Digest.DAILY else 7 - day.weekday()
    return from_db_time(day + timedelta(days=days))


def enqueue(con: engine.Connection, events: Sequence[AlertEvent], *, run_id: int | None) -> int:
    """Record events and a row for each channel that wants them, inside the caller's
    transaction; returns how many rows were new (an event already queued adds none)."""
    if not events:
        return 0
    channels = con.execute("SELECT id, profiles, topics, digest FROM alert_channels").fetchall()
    added = 0
    for event in events:
        con.execute(
            "INSERT INTO alert_events VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                event.id,
                event.profile.id,
                event.kind.value,
                to_db_time(event.occurred_at),
                run_id,
                event.model_dump_json(),
            ],
        )
        for channel_id, profiles, topics, digest in channels:
            if event.kind.topic not in topics or (profiles and event.profile.id not in profiles):
                continue
            due = period_end(Digest(digest), event.occurred_at) if digest else None
            rows = con.execute(
                "INSERT INTO alert_outbox (channel_id, event_id, status, attempts, "
                "next_attempt_at, period_end, created_at) VALUES (?, ?, ?, 0, ?, ?, ?) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                [
                    channel_id,
                    event.id,
                    DeliveryStatus.PENDING.value,
                    to_db_time(due or event.occurred_at),
                    due and to_db_time(due),
                    to_db_time(event.occurred_at),
                ],
            ).fetchall()
            added += len(rows)
    return added


def claim_due(store: Store, *, now: datetime, policy: RetryPolicy) -> Claim:
    """Take every row due at `now` (and any abandoned claim) for one delivery."""
    token = uuid.uuid4().hex
    moment = to_db_time(now)
    with store.transaction() as con:
        rows = con.execute(
            "UPDATE alert_outbox SET status = 'sending', claim = ?, claimed_at = ? "
            "WHERE (status IN ('pending', 'failed') AND next_attempt_at <= ?) "
            "OR (status = 'sending' AND claimed_at <= ?) "
            "RETURNING channel_id, event_id, attempts, period_end",
            [token, moment, moment, moment - policy.lease],
        ).fetchall()
        ids = sorted({row[1] for row in rows})
        payloads = dict(
            con.execute(
                "SELECT id, payload FROM alert_events WHERE list_contains(?, id)", [ids]
            ).fetchall()
        )
    items = [
        OutboxItem(
            channel_id=channel_id,
            event=AlertEvent.model_validate_json(payloads[event_id]),
            attempts=attempts,
            period_end=from_db_time(end) if end else None,
        )
        for channel_id, event_id, attempts, end in rows
    ]
    items.sort(key=lambda item: (item.channel_id, item.event.occurred_at, item.event.id))
    return Claim(token, tuple(items))


def mark_sent(
    store: Store, claim: Claim, channel_id: int, event_ids: Sequence[str], *, now: datetime
) -> None:
    with store.transaction() as con:
        con.execute(
            "UPDATE alert_outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
            "claim = NULL, last_error = NULL "
            "WHERE channel_id = ? AND list_contains(?, event_id) AND claim = ?",
            [to_db_time(now), channel_id, list(event_ids), claim.token],
        )


def mark_failed(
    store: Store,
    claim: Claim,
    channel_id: int,
    event_ids: Sequence[str],
    *,
    attempts: int,
    now: datetime,
    error: str,
    policy: RetryPolicy,
) -> DeliveryStatus:
    """Record a failed try (`attempts` counts it); gave_up once there were max_attempts."""
    status = DeliveryStatus.GAVE_UP if attempts >= policy.max_attempts else DeliveryStatus.FAILED
    with store.transaction() as con:
        con.execute(
            "UPDATE alert_outbox SET status = ?, attempts = ?, next_attempt_at = ?, "
            "last_error = ?, claim = NULL "
            "WHERE channel_id = ? AND list_contains(?, event_id) AND claim = ?",
            [
                status.value,
                attempts,
                to_db_time(now + policy.delay(attempts)),
                error,
                channel_id,
                list(event_ids),
                claim.token,
            ],
        )
    return status


def release(store: Store, claim: Claim) -> None:
    """Hand back rows a delivery claimed but did not get to (it stopped early)."""
    with store.transaction() as con:
        con.execute(
            "UPDATE alert_outbox SET claim = NULL, "
            "status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'failed' END "
            "WHERE claim = ? AND status = 'sending'",
            [claim.token],
        )


def status_counts(store: Store) -> dict[int, Counter[str]]:
    """How many rows each channel has in each status."""
    counts: dict[int, Counter[str]] = {}
    for channel_id, status, count in store.query(
        "SELECT channel_id, status, count(*) FROM alert_outbox GROUP BY ALL"
    ):
        counts.setdefault(channel_id, Counter())[status] = count
    return counts


def last_errors(store: Store) -> dict[int, str]:
    """The latest error each channel's deliveries recorded (already scrubbed of secrets)."""
    rows = store.query(
        "SELECT channel_id, arg_max(last_error, next_attempt_at) FROM alert_outbox "
        "WHERE last_error IS NOT NULL GROUP BY ALL"
    )
    return {channel_id: error for channel_id, error in rows}
