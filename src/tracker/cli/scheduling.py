"""`tracker schedule`: show the daily sync's schedule, or serve it."""

from __future__ import annotations

import os
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

from tracker.cli.app import out
from tracker.prefect_server import API_URL_ENV, local_server_url, use_prefect_server
from tracker.schedule import DEPLOYMENT_NAME, FLOW_NAME, MERGE_CRON, ScheduleSpec
from tracker.settings import Settings


def show_schedule(spec: ScheduleSpec, settings: Settings, now: datetime | None = None) -> None:
    """The deployment, its schedule and next five runs; starts nothing."""
    out.print(f"deployment  {FLOW_NAME}/{DEPLOYMENT_NAME}", markup=False)
    out.print(f"schedule    {spec.cron}  ({spec.timezone})", markup=False)
    out.print(f"database    {settings.db_path.resolve()}", markup=False)
    out.print(f"prefect     {_registration(settings)}", markup=False)
    runs = spec.next_runs(now or datetime.now(UTC))
    for number, moment in enumerate(runs):
        label = "next runs" if number == 0 else ""
        out.print(f"{label:<11} {moment:%a %Y-%m-%d %H:%M %Z (%z)}", markup=False)


def serve_schedule(spec: ScheduleSpec, settings: Settings) -> None:
    """Register the deployment with the Prefect server and serve it until Ctrl-C."""
    url = use_prefect_server(settings.data_dir)
    from flows.deployment import register_daily_sync, serve_daily_sync

    deployment = register_daily_sync(spec, settings)
    first = spec.next_runs(datetime.now(UTC), 1)[0]
    out.print(
        f"serving {FLOW_NAME}/{DEPLOYMENT_NAME}: {spec.cron} ({spec.timezone}), "
        f"next run {first:%Y-%m-%d %H:%M %Z}; Prefect API {url}. Ctrl-C stops.",
        markup=False,
    )
    with suppress(KeyboardInterrupt):
        serve_daily_sync(deployment)
    out.print("stopped: the schedule is paused until `tracker schedule` serves it again")


def register_for_workers(
    spec: ScheduleSpec, settings: Settings, pool: str, shards: int, shared: Path | None
) -> None:
    """Register one deployment per shard in `pool`; workers on any machine run them.

    With a shared folder, also the hub's merge, in pool `<pool>-hub`.
    """
    url = use_prefect_server(settings.data_dir)
    from flows.deployment import register_merge, register_sharded_sync

    for name in register_sharded_sync(spec, pool, shards, shared):
        out.print(f"registered {name} in work pool {pool!r} at {url}", markup=False)
    out.print(f"start workers with: uv run prefect worker start --pool {pool}", markup=False)
    if shared is not None:
        hub_pool = f"{pool}-hub"
        name = register_merge(shared, settings, hub_pool, MERGE_CRON)
        out.print(f"registered {name} ({MERGE_CRON}) in work pool {hub_pool!r}", markup=False)
        out.print(
            f"on this machine, start its worker: uv run prefect worker start --pool {hub_pool}",
            markup=False,
        )


def _registration(settings: Settings) -> str:
    """What the Prefect server knows of the deployment, without starting a server."""
    url = os.environ.get(API_URL_ENV) or local_server_url(settings.data_dir)
    if url is None:
        return "no Prefect server running: `tracker schedule` starts one and registers it"
    os.environ[API_URL_ENV] = url
    from flows.deployment import registered_deployment

    deployment = registered_deployment()
    if deployment is None:
        return f"not registered yet at {url}"
    state = "paused" if deployment["paused"] else "active"
    crons = ", ".join(f"{s['cron']} ({s['timezone']})" for s in deployment["schedules"])
    return f"registered at {url}: {state}, {crons}, parameters {deployment['parameters']}"
