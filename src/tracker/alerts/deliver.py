"""Send what the outbox holds through apprise, and record how each send went.

One apprise notify per channel and event, or per channel and digest period. Each channel
gets the body in the format its service takes (rendered and escaped by us, so apprise
converts nothing); a JSON webhook (`json://`, `jsons://`) gets the event's structured JSON,
with its stable `id`, as the body. A send that fails or hangs past `timeout` is retried by a
later delivery.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from pydantic import BaseModel

from tracker.alerts.channels import Channel, channel, channels, load_plugin, scrubbed_apprise_logs
from tracker.alerts.outbox import (
    Claim,
    DeliveryStatus,
    OutboxItem,
    RetryPolicy,
    claim_due,
    mark_failed,
    mark_sent,
    release,
)
from tracker.alerts.render import Format, Message, render_digest, render_event, trial_message
from tracker.errors import UserInputError
from tracker.store import Store

DEFAULT_TIMEOUT = 30.0  # seconds one send may take, whatever the service

logger = logging.getLogger(__name__)


class DeliveryReport(BaseModel):
    """What one delivery did, counted in outbox rows (one per channel and event)."""

    sent: int = 0
    failed: int = 0  # to be retried by a later delivery
    gave_up: int = 0


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    error: str | None = None  # scrubbed of the channel's secrets


def deliver_pending(
    store: Store,
    *,
    now: datetime,
    policy: RetryPolicy | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> DeliveryReport:
    """Send every outbox row due at `now`: new events, retries and digests whose period ended."""
    policy = policy or RetryPolicy()
    claim = claim_due(store, now=now, policy=policy)
    if not claim.items:
        return DeliveryReport()
    by_id = {known.id: known for known in channels(store)}
    counts: Counter[str] = Counter()
    try:
        for target, items in _batches(claim, by_id):
            outcome = send(target, _message(target, items), timeout=timeout)
            ids = [item.event.id for item in items]
            if outcome.ok:
                mark_sent(store, claim, target.id, ids, now=now)
                counts[DeliveryStatus.SENT] += len(ids)
                continue
            status = mark_failed(
                store,
                claim,
                target.id,
                ids,
                attempts=max(item.attempts for item in items) + 1,
                now=now,
                error=outcome.error or "failed",
                policy=policy,
            )
            counts[status] += len(ids)
            verdict = "gave up" if status is DeliveryStatus.GAVE_UP else "will retry"
            logger.warning(
                "alert channel %d (%s): sending failed, %s: %s",
                target.id,
                target.masked_url,
                verdict,
                outcome.error,
            )
    finally:
        release(store, claim)
    return DeliveryReport(
        sent=counts[DeliveryStatus.SENT],
        failed=counts[DeliveryStatus.FAILED],
        gave_up=counts[DeliveryStatus.GAVE_UP],
    )


def send_test(
    store: Store, channel_id: int | None, *, now: datetime, timeout: float = DEFAULT_TIMEOUT
) -> list[tuple[Channel, SendOutcome]]:
    """Send a test message now to one channel or to all; the outbox is not involved."""
    targets = [channel(store, channel_id)] if channel_id is not None else channels(store)
    return [
        (target, send(target, trial_message(target.id, now), timeout=timeout)) for target in targets
    ]


def send(target: Channel, message: Message, *, timeout: float = DEFAULT_TIMEOUT) -> SendOutcome:
    """One apprise notify to one channel, in the body format its service takes."""
    import apprise

    with scrubbed_apprise_logs(target.secrets):
        try:
            plugin = load_plugin(target.url, payload=message.data)
        except UserInputError as error:  # an apprise upgrade dropped the service, say
            return SendOutcome(ok=False, error=target.scrub(error.one_line()))
        format = Format(plugin.resolve_format(None).value)
        # A service that blends the title into the body gets it in the body's format.
        title = message.title if plugin.title_maxlen > 0 else message.title_in(format)
        notifier = apprise.Apprise()
        notifier.add(plugin)
        result = notifier.notify(
            body=message.body(format),
            title=title,
            notify_type=message.level.value,
            body_format=format.value,
            timeout=timeout,
        )
        if result:
            return SendOutcome(ok=True)
        logs = "; ".join(entry.message for entry in result.logs())
    return SendOutcome(ok=False, error=target.scrub(logs or result.status.name.lower()))


def _batches(
    claim: Claim, by_id: dict[int, Channel]
) -> Iterator[tuple[Channel, Sequence[OutboxItem]]]:
    """One batch per event, or per digest period on a digest channel."""
    for channel_id, items in groupby(claim.items, key=lambda item: item.channel_id):
        target = by_id.get(channel_id)
        if target is None:  # removed meanwhile
            continue
        if target.digest is None:
            yield from ((target, [item]) for item in items)
        else:
            by_period = sorted(items, key=lambda item: item.period_end or item.event.occurred_at)
            for _, period in groupby(by_period, key=lambda item: item.period_end):
                yield target, list(period)


def _message(target: Channel, items: Sequence[OutboxItem]) -> Message:
    if target.digest is None:
        return render_event(items[0].event)
    end = items[0].period_end or max(item.event.occurred_at for item in items)
    return render_digest([item.event for item in items], digest=target.digest.value, period_end=end)
