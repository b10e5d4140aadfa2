"""One sync run's resources and bookkeeping, so the flow only wires tasks together."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from tracker.archive import Archive
from tracker.fetch import Fetcher
from tracker.report import build_report, render_markdown
from tracker.settings import Settings
from tracker.shards import Shard
from tracker.store import FetchStatus, Store
from tracker.sync import Clock, Syncer, SyncResult, run_status, utc_now

if TYPE_CHECKING:
    from tracker.alerts.deliver import DeliveryReport


class RunSummary(BaseModel):
    """What a sync run did, counted."""

    run_id: int
    status: str
    profiles: int
    changed: int
    unchanged: int
    baseline: int
    failed: int
    changes: int
    failures: dict[str, str]
    alerts_sent: int = 0
    alerts_failed: int = 0  # to be retried by a later run
    alerts_gave_up: int = 0

    def with_alerts(self, delivery: DeliveryReport) -> RunSummary:
        """This summary with what the alert delivery after the run did."""
        return self.model_copy(
            update={
                "alerts_sent": delivery.sent,
                "alerts_failed": delivery.failed,
                "alerts_gave_up": delivery.gave_up,
            }
        )


@dataclass
class SyncSession:
    syncer: Syncer
    run_id: int
    profile_ids: list[str]

    @property
    def store(self) -> Store:
        return self.syncer.store

    def internal_failure(self, profile_id: str, message: str) -> SyncResult:
        """Record a profile whose task crashed after its retries."""
        reason = f"internal error: {message}"
        return self.syncer.record_failure(self.run_id, profile_id, reason)

    def finish(self, results: Sequence[SyncResult]) -> RunSummary:
        status = run_status(list(results))
        self.store.finish_run(self.run_id, self.syncer.clock(), status)
        counts = Counter(result.status for result in results)
        return RunSummary(
            run_id=self.run_id,
            status=status.value,
            profiles=len(results),
            changed=counts[FetchStatus.CHANGED],
            unchanged=counts[FetchStatus.UNCHANGED] + counts[FetchStatus.NOT_MODIFIED],
            baseline=counts[FetchStatus.BASELINE],
            failed=sum(result.failed for result in results),
            changes=sum(len(result.changes) for result in results),
            failures={r.profile_id: r.reason or r.status.value for r in results if r.failed},
        )

    def deliver_alerts(self) -> DeliveryReport:
        """Send what the outbox holds."""
        from tracker.alerts.deliver import deliver_pending

        return deliver_pending(self.store, now=self.syncer.clock())

    def report_markdown(self) -> str:
        report = build_report(self.store, generated_at=self.syncer.clock(), run_id=self.run_id)
        return render_markdown(report)


@contextmanager
def sync_session(
    settings: Settings,
    profile_ids: Sequence[str] | None = None,
    *,
    shard: Shard | None = None,
    as_of: datetime | None = None,
) -> Iterator[SyncSession]:
    """Open the store, fetcher and archive, and start a run over the chosen active profiles."""
    clock: Clock = (lambda: as_of) if as_of is not None else utc_now
    with Store.open(settings.db_path) as store, Fetcher(settings.fetch) as fetcher:
        store.close_abandoned_runs(clock())
        chosen = [p.id for p in store.profiles(ids=profile_ids, active_only=profile_ids is None)]
        if profile_ids is not None:
            missing = sorted(set(profile_ids) - set(chosen))
            if missing:
                store.profile(missing[0])  # raises the clear "no profile" error
        if shard is not None:
            chosen = [profile_id for profile_id in chosen if shard.holds(profile_id)]
        syncer = Syncer(store, fetcher, Archive(settings.archive_dir), clock, settings.api)
        yield SyncSession(syncer, store.start_run(clock()), chosen)


def superseded(settings: Settings, scheduled_for: datetime | None) -> bool:
    """Has a run started at or after `scheduled_for`? Then a late scheduled run is redundant."""
    if scheduled_for is None or not settings.db_path.exists():
        return False
    with Store.open(settings.db_path, read_only=True) as store:
        latest = store.latest_run_start()
    return latest is not None and latest >= scheduled_for
