"""The daily sync as a Prefect deployment, served by this process until it is stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import serve
from prefect.client.orchestration import get_client
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import ObjectNotFound
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType

from flows.merge_flow import merge_flow
from flows.sync_flow import sync_flow
from tracker.schedule import (
    DEPLOYMENT_NAME,
    FLOW_NAME,
    MERGE_DEPLOYMENT_NAME,
    MERGE_FLOW_NAME,
    ScheduleSpec,
)
from tracker.settings import Settings


def daily_sync_deployment(spec: ScheduleSpec, settings: Settings) -> RunnerDeployment:
    """The sync flow on `spec`'s schedule; a late run that a later run covered does nothing."""
    return RunnerDeployment.from_flow(
        sync_flow,
        name=DEPLOYMENT_NAME,
        schedules=[Cron(spec.cron, timezone=spec.timezone)],
        parameters={"db": str(settings.db_path.resolve()), "catch_up_once": True},
        description="tracker: sync every active profile and record what changed",
        tags=["tracker"],
    )


def register_sharded_sync(
    spec: ScheduleSpec, pool: str, shards: int, shared: Path | None = None
) -> list[str]:
    """One deployment per shard in a work pool, for workers on other machines.

    Each worker runs from a checkout of this repository and finds its database
    through its own TRACKER_DB / TRACKER_DATA_DIR; with `shared`, every worker
    exports its runs to that folder for the hub to merge. Returns the deployment names.
    """
    parameters: dict[str, Any] = {"catch_up_once": True}
    if shared is not None:
        parameters["shared"] = str(shared)
    names = []
    for index in range(1, shards + 1):
        name = f"{DEPLOYMENT_NAME}-shard-{index}-of-{shards}"
        _apply(
            sync_flow,
            name,
            pool,
            schedules=[Cron(spec.cron, timezone=spec.timezone)],
            parameters=parameters | {"shard": f"{index}/{shards}"},
            description=f"tracker: sync shard {index}/{shards} of the active profiles",
        )
        names.append(f"{FLOW_NAME}/{name}")
    return names


def register_merge(shared: Path, settings: Settings, pool: str, cron: str) -> str:
    """The hub's merge of the shared folder into its database, on `cron`, in its own pool
    (whose one worker runs on the machine that holds the database)."""
    _apply(
        merge_flow,
        MERGE_DEPLOYMENT_NAME,
        pool,
        schedules=[Cron(cron)],
        parameters={"shared": str(shared), "db": str(settings.db_path.resolve())},
        description="tracker: merge the workers' exported runs and send their alerts",
    )
    return f"{MERGE_FLOW_NAME}/{MERGE_DEPLOYMENT_NAME}"


def _apply(flow: Any, name: str, pool: str, **options: Any) -> None:
    deployment = RunnerDeployment.from_flow(
        flow,
        name=name,
        tags=["tracker"],
        work_pool_name=pool,
        # Workers import the installed package, wherever they run the flow from.
        entrypoint_type=EntrypointType.MODULE_PATH,
        **options,
    )
    deployment.apply(work_pool_name=pool)


def register_daily_sync(spec: ScheduleSpec, settings: Settings) -> RunnerDeployment:
    """Create or update the deployment on the Prefect server."""
    deployment = daily_sync_deployment(spec, settings)
    deployment.apply()
    return deployment


def serve_daily_sync(deployment: RunnerDeployment) -> None:
    """Run the deployment's scheduled flow runs until interrupted.

    On Ctrl-C or SIGTERM Prefect pauses the schedule, so nothing piles up while
    nobody serves it.
    """
    serve(deployment, pause_on_shutdown=True, print_starting_message=False)


def registered_deployment(flow_name: str = FLOW_NAME) -> dict[str, Any] | None:
    """The deployment as the Prefect server knows it, or None when it was never served."""
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(f"{flow_name}/{DEPLOYMENT_NAME}")
        except ObjectNotFound:
            return None
    schedules = [
        {
            "cron": getattr(item.schedule, "cron", None),
            "timezone": getattr(item.schedule, "timezone", None),
            "active": item.active,
        }
        for item in deployment.schedules
    ]
    return {
        "name": f"{flow_name}/{deployment.name}",
        "paused": deployment.paused,
        "parameters": deployment.parameters,
        "schedules": schedules,
    }
