"""Storage for several writers: workers export their runs as Parquet, one hub merges them.

DuckDB stays the store of every machine. A shared folder (a network mount, a synced
directory) is the only thing the machines have in common:

    <shared>/profiles.parquet        the hub's registry of profiles, which workers adopt
    <shared>/runs/<worker>-run-<N>/  one worker run: a manifest and a Parquet file per table

A worker syncs its shard into its own DuckDB file (which keeps its profiles' history, so
its diffs and "needs attention" streaks are its own) and exports each finished run. The hub
loads every export it has not merged yet, one transaction each, giving the runs, fetches and
changes ids of its own; its alert channels receive the workers' events. Profiles of
different shards never overlap, so the merged database holds what one machine syncing
every profile would.
"""

from tracker.shared.export import export_finished_runs
from tracker.shared.merge import MergeReport, merge_exports
from tracker.shared.registry import adopt_registry, publish_registry

__all__ = [
    "MergeReport",
    "adopt_registry",
    "export_finished_runs",
    "merge_exports",
    "publish_registry",
]
