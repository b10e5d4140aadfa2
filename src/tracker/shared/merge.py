"""The hub's side: load the workers' exported runs, each once and all-or-nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from tracker.alerts.events import AlertEvent
from tracker.alerts.outbox import enqueue
from tracker.errors import StorageError
from tracker.shared.layout import MANIFEST_FILE, Manifest, runs_dir, sql_path, table_file
from tracker.shared.registry import publish_registry
from tracker.store import Store, engine
from tracker.store.database import to_db_time
from tracker.store.schema import SCHEMA_VERSION

PROFILE_STATE = ("url", "name", "affiliation", "etag", "last_modified", "content_sha256")


class MergeReport(BaseModel):
    """What one merge loaded."""

    runs: int
    workers: int
    fetches: int
    changes: int
    registry: int  # profiles published back to the shared folder
    alerts_sent: int = 0
    alerts_failed: int = 0  # to be retried by a later merge

    def summary(self, shared: Path) -> str:
        """One line for people: what came in, what went out."""
        merged = (
            f"merged {self.runs} run(s) from {self.workers} worker(s): "
            f"{self.fetches} fetches, {self.changes} changes"
            if self.runs
            else "nothing new to merge"
        )
        alerts = f"; {self.alerts_sent} alert(s) sent" if self.alerts_sent else ""
        retry = f", {self.alerts_failed} to retry" if self.alerts_failed else ""
        return f"{merged}{alerts}{retry}; {self.registry} profiles published to {shared}"


def merge_and_alert(db: Path, shared: Path, now: datetime) -> MergeReport:
    """The hub's job: merge what the workers exported, then send the alerts it raised."""
    from tracker.alerts.deliver import deliver_pending

    with Store.open(db) as store:
        report = merge_exports(store, shared, now)
        delivery = deliver_pending(store, now=now)
    return report.model_copy(
        update={"alerts_sent": delivery.sent, "alerts_failed": delivery.failed}
    )


def merge_exports(store: Store, shared: Path, now: datetime) -> MergeReport:
    """Merge every complete export not merged yet, oldest run first; then publish the
    registry, so workers see the profiles added on the hub since."""
    merged = {name for (name,) in store.query("SELECT name FROM shared_merges")}
    pending = sorted(
        (manifest for manifest in _manifests(shared) if manifest.name not in merged),
        key=lambda manifest: (manifest.started_at, manifest.name),
    )
    with store.bulk_memory():
        for manifest in pending:
            _merge_one(store, runs_dir(shared) / manifest.name, manifest, now)
    return MergeReport(
        runs=len(pending),
        workers=len({manifest.worker for manifest in pending}),
        fetches=sum(manifest.rows["fetches"] for manifest in pending),
        changes=sum(manifest.rows["changes"] for manifest in pending),
        registry=publish_registry(store, shared),
    )


def _manifests(shared: Path) -> Iterator[Manifest]:
    """The complete exports in the folder (an export being written has no manifest yet)."""
    folder = runs_dir(shared)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob(f"*/{MANIFEST_FILE}")):
        try:
            manifest = Manifest.model_validate_json(path.read_text())
        except (OSError, ValidationError) as error:
            raise StorageError(f"cannot read {path}: {error}") from None
        if manifest.schema_version != SCHEMA_VERSION:
            raise StorageError(
                f"{path.parent.name} was written at schema version {manifest.schema_version}, "
                f"this hub is at {SCHEMA_VERSION}",
                hint="run the same tracker version on the workers and the hub",
            )
        yield manifest


def _merge_one(store: Store, folder: Path, manifest: Manifest, now: datetime) -> None:
    def parquet(table: str) -> str:
        return f"read_parquet({sql_path(table_file(folder, table))})"

    try:
        with store.transaction() as con:
            [(run_id,)] = con.execute("SELECT nextval('run_id_seq')").fetchall()
            con.execute(
                "INSERT INTO runs SELECT ?, started_at, finished_at, status "
                f"FROM {parquet('runs')}",
                [run_id],
            )
            _insert_fetches(con, parquet("fetches"), run_id)
            con.execute(
                "INSERT INTO metric_observations SELECT o.profile_id, o.metric, o.observed_at, "
                f"o.value, ids.new FROM {parquet('metric_observations')} o "
                "JOIN fetch_ids ids ON ids.old = o.fetch_id ON CONFLICT DO NOTHING"
            )
            con.execute(
                "INSERT INTO changes SELECT nextval('change_id_seq'), ?, ids.new, c.profile_id, "
                "c.detected_at, c.kind, c.metric, c.paper_key, c.paper_title, c.old, c.new, "
                f"c.fields FROM (FROM {parquet('changes')} ORDER BY id) c "
                "JOIN fetch_ids ids ON ids.old = c.fetch_id ORDER BY c.id",
                [run_id],
            )
            con.execute(f"INSERT OR REPLACE INTO papers FROM {parquet('papers')}")
            con.execute(
                f"INSERT INTO citations_per_year FROM {parquet('citations_per_year')} "
                "ON CONFLICT DO NOTHING"
            )
            updates = ", ".join(f"{column} = excluded.{column}" for column in PROFILE_STATE)
            con.execute(
                f"INSERT INTO profiles FROM {parquet('profiles')} "
                f"ON CONFLICT (id) DO UPDATE SET {updates}"
            )
            payloads = con.execute(f"SELECT payload FROM {parquet('alert_events')}").fetchall()
            events = [AlertEvent.model_validate_json(payload) for (payload,) in payloads]
            enqueue(con, events, run_id=run_id)
            con.execute(
                "INSERT INTO shared_merges VALUES (?, ?, ?)",
                [manifest.name, run_id, to_db_time(now)],
            )
            con.execute("DROP TABLE fetch_ids")
    except engine.Error as error:
        raise StorageError(
            f"cannot merge {folder}: {str(error).splitlines()[0]}",
            hint="nothing of it was merged; repair or remove that folder and merge again",
        ) from None


def _insert_fetches(con: engine.Connection, fetches: str, run_id: int) -> None:
    """Give the run's fetches ids of this database; `fetch_ids` maps the worker's to them."""
    con.execute(
        "CREATE TEMP TABLE fetch_ids AS "
        f"SELECT id AS old, nextval('fetch_id_seq') AS new FROM (FROM {fetches} ORDER BY id)"
    )
    con.execute(
        "INSERT INTO fetches SELECT ids.new, ?, f.profile_id, f.fetched_at, f.status, "
        f"f.http_status, f.content_sha256, f.content_type, f.reason FROM {fetches} f "
        "JOIN fetch_ids ids ON ids.old = f.id ORDER BY ids.new",
        [run_id],
    )
