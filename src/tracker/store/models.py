"""Rows of the store as typed values."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from tracker.store.statuses import FetchStatus


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
