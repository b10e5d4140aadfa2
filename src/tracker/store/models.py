"""Rows of the store as typed values."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


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


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    url: str
    source: str
    name: str | None = None
    affiliation: str | None = None
    person: str | None = None
    active: bool = True
    added_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    content_sha256: str | None = None


class FetchOutcome(BaseModel):
    """What one fetch attempt came to, as the fetches table records it."""

    model_config = ConfigDict(frozen=True)

    status: FetchStatus
    fetched_at: datetime
    http_status: int | None = None
    content_sha256: str | None = None
    content_type: str | None = None
    reason: str | None = None
