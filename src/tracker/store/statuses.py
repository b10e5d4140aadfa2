"""What a fetch and a sync run came to, as the store records them.

Plain enums, apart from the pydantic rows in `tracker.store.models`, so reading the
store needs no pydantic.
"""

from __future__ import annotations

from enum import StrEnum


class FetchStatus(StrEnum):
    BASELINE = "baseline"  # first good snapshot of a profile
    CHANGED = "changed"  # a good snapshot that differs from the previous one
    UNCHANGED = "unchanged"  # a good snapshot equal to the previous one
    NOT_MODIFIED = "not_modified"  # 304, or the same bytes as last time: nothing parsed
    FAILED = "failed"
    BLOCKED = "blocked"
    LAYOUT_CHANGED = "layout_changed"

    @property
    def is_good(self) -> bool:
        return self in GOOD_STATUSES

    @property
    def is_blocked(self) -> bool:
        return self is FetchStatus.BLOCKED


GOOD_STATUSES = frozenset(
    {FetchStatus.BASELINE, FetchStatus.CHANGED, FetchStatus.UNCHANGED, FetchStatus.NOT_MODIFIED}
)


class RunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"  # some profiles failed
    FAILED = "failed"  # every profile failed
