"""The sync flow: one task per batch of a few profiles, bounded concurrency, a report artifact."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow, task, unmapped
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run, task_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from tracker.alerts.deliver import DeliveryReport
from tracker.session import RunSummary, SyncSession, superseded, sync_session
from tracker.settings import Settings
from tracker.shards import Shard
from tracker.sync import SyncResult

REPORT_ARTIFACT_KEY = "tracker-sync-report"


def _batch_name() -> str:
    first, *rest = task_run.parameters["profile_ids"]
    return f"sync-{first}" + (f"-and-{len(rest)}-more" if rest else "")


@task(
    name="sync-profile",
    task_run_name=_batch_name,
    retries=2,
    retry_delay_seconds=[1, 5],
    cache_policy=NONE,
)
def sync_profile(session: SyncSession, profile_ids: list[str]) -> list[SyncResult]:
    """Fetch, parse and store a batch of profiles; expected failures are results, not exceptions.

    A retry syncs only the profiles of the batch that raised.
    """
    return session.sync_batch(profile_ids)


@task(name="deliver-alerts", cache_policy=NONE, persist_result=False)
def deliver_alerts(session: SyncSession) -> DeliveryReport:
    """Send the alerts the outbox holds: this run's and earlier ones due for a retry."""
    return session.deliver_alerts()


@flow(name="tracker-sync", task_runner=ThreadPoolTaskRunner(max_workers=4))  # type: ignore[arg-type]
def sync_flow(
    profile_ids: list[str] | None = None,
    db: str | None = None,
    shard: str | None = None,
    catch_up_once: bool = False,
    settings: Settings | None = None,
    as_of: datetime | None = None,
    shared: str | None = None,
) -> RunSummary | None:
    """Sync the named profiles, or every active one (of `shard` I/N), and publish the report.

    Without `settings` they come from the environment and the config file (and
    `db`); `as_of` pretends the run happens then (the demo's simulated days).
    With `shared` (a folder every machine mounts), this is one worker of several: it
    adopts the hub's profiles from there and exports its run there for `tracker merge`.
    With `catch_up_once`, a scheduled run that a later run already covered
    (the machine was off for days) does nothing: a missed day is caught up once.
    """
    settings = settings or (Settings(db=db) if db else Settings())
    if catch_up_once and superseded(settings, flow_run.scheduled_start_time):
        return None
    chosen_shard = Shard.parse(shard) if shard else None
    shared_dir = Path(shared) if shared else None
    with sync_session(
        settings, profile_ids, shard=chosen_shard, as_of=as_of, shared=shared_dir
    ) as session:
        batches = session.batches(settings.concurrency)
        # quote: Prefect need not look inside the session for futures, task after task
        futures = sync_profile.map(unmapped(quote(session)), batches)
        results = [
            result
            for batch, future in zip(batches, futures, strict=True)
            for result in session.batch_results(batch, _crash(future))
        ]
        summary = session.finish(results)
        summary = summary.with_alerts(deliver_alerts(session))
        create_markdown_artifact(
            markdown=session.report_markdown(),
            key=REPORT_ARTIFACT_KEY,
            description=f"tracker sync run {summary.run_id}: {summary.changes} changes",
        )
    return summary


def _crash(future: PrefectFuture[list[SyncResult]]) -> str | None:
    """Why the task failed after its retries, or None when it completed."""
    future.wait()
    state = future.state
    return None if state.is_completed() else state.message or str(state.name)


def run_sync(
    settings: Settings,
    profile_ids: list[str] | None = None,
    *,
    shard: str | None = None,
    as_of: datetime | None = None,
    shared: Path | None = None,
) -> RunSummary:
    """Run the sync flow now, with the concurrency the settings ask for."""
    runner = ThreadPoolTaskRunner(max_workers=settings.concurrency)  # type: ignore[var-annotated]
    configured = sync_flow.with_options(task_runner=runner)  # type: ignore[arg-type]
    summary = configured(
        profile_ids=profile_ids,
        shard=shard,
        settings=settings,
        as_of=as_of,
        shared=str(shared) if shared else None,
    )
    assert summary is not None  # only a late scheduled run is skipped
    return summary
