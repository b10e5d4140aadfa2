"""One sync run's resources and bookkeeping, so the flow only wires tasks together."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
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

# The flow runs one task per batch of profiles: a task costs Prefect some milliseconds of its
# own and of its server's time, as much as syncing a profile whose page did not change. Each
# worker gets several batches (so a slow one does not hold the run up), and a batch holds
# few profiles (so a retried batch is quick); a small run is one task per profile.
MAX_BATCH = 25
BATCHES_PER_WORKER = 4


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
    shared: Path | None = None  # the shared folder this worker exports its runs to
    _results: dict[str, SyncResult] = field(default_factory=dict, repr=False)
    _errors: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def store(self) -> Store:
        return self.syncer.store

    def batches(self, workers: int) -> list[list[str]]:
        """The run's profiles in consecutive batches, one flow task each."""
        wanted = workers * BATCHES_PER_WORKER
        size = max(1, min(MAX_BATCH, math.ceil(len(self.profile_ids) / wanted)))
        ids = self.profile_ids
        return [ids[start : start + size] for start in range(0, len(ids), size)]

    def sync_batch(self, profile_ids: Sequence[str]) -> list[SyncResult]:
        """Sync the profiles of a batch that this run has not synced yet.

        A profile that raises does not stop the others; the first error is raised once the
        batch is done, so a retry of the batch syncs only the profiles that raised.
        """
        first_error: Exception | None = None
        for profile_id in profile_ids:
            if profile_id in self._results:
                continue
            try:
                self._results[profile_id] = self.syncer.sync(self.run_id, profile_id)
            except Exception as error:
                self._errors[profile_id] = f"{type(error).__name__}: {error}"
                first_error = first_error or error
            else:
                self._errors.pop(profile_id, None)
        if first_error is not None:
            raise first_error
        return [self._results[profile_id] for profile_id in profile_ids]

    def batch_results(
        self, profile_ids: Sequence[str], crash: str | None = None
    ) -> list[SyncResult]:
        """The batch's results; a profile without one (its task crashed) is recorded failed."""
        return [
            self._results.get(profile_id)
            or self.internal_failure(profile_id, self._errors.get(profile_id) or crash or "")
            for profile_id in profile_ids
        ]

    def internal_failure(self, profile_id: str, message: str) -> SyncResult:
        """Record a profile whose task crashed after its retries."""
        reason = f"internal error: {message}"
        return self.syncer.record_failure(self.run_id, profile_id, reason)

    def finish(self, results: Sequence[SyncResult]) -> RunSummary:
        status = run_status(list(results))
        self.store.finish_run(self.run_id, self.syncer.clock(), status)
        if self.shared is not None:
            from tracker.shared import export_finished_runs

            export_finished_runs(self.store, self.shared, self.syncer.clock())
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
    shared: Path | None = None,
) -> Iterator[SyncSession]:
    """Open the store, fetcher and archive, and start a run over the chosen active profiles.

    With a `shared` folder (a worker of several), the hub's profile registry is adopted
    first, and the run is exported there when it finishes.
    """
    clock: Clock = (lambda: as_of) if as_of is not None else utc_now
    with Store.open(settings.db_path) as store, Fetcher(settings.fetch) as fetcher:
        store.close_abandoned_runs(clock())
        if shared is not None:
            from tracker.shared import adopt_registry

            adopt_registry(store, shared)
        chosen = [p.id for p in store.profiles(ids=profile_ids, active_only=profile_ids is None)]
        if profile_ids is not None:
            missing = sorted(set(profile_ids) - set(chosen))
            if missing:
                store.profile(missing[0])  # raises the clear "no profile" error
        if shard is not None:
            chosen = [profile_id for profile_id in chosen if shard.holds(profile_id)]
        syncer = Syncer(store, fetcher, Archive(settings.archive_dir), clock, settings.api)
        yield SyncSession(syncer, store.start_run(clock()), chosen, shared)


def superseded(settings: Settings, scheduled_for: datetime | None) -> bool:
    """Has a run started at or after `scheduled_for`? Then a late scheduled run is redundant."""
    if scheduled_for is None or not settings.db_path.exists():
        return False
    with Store.open(settings.db_path, read_only=True) as store:
        latest = store.latest_run_start()
    return latest is not None and latest >= scheduled_for
