"""Typed alert events from a sync's typed changes, each with a deterministic id.

The id is a hash of the profile, the kind and the identity of what changed (the paper's
key; the metric with its old and new value; the fetch that started a failure streak), so
re-running a sync, re-parsing or retrying a task raises the same event again, never a new one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict

from tracker.changes import Change, ChangeKind
from tracker.metrics import MetricValue, metric_delta, tidy_number


class AlertTopic(StrEnum):
    """What a channel subscribes to (`tracker alerts add --on ...`)."""

    NEW_PAPER = "new_paper"
    METRIC_CHANGED = "metric_changed"
    SYNC_FAILED = "sync_failed"


class AlertKind(StrEnum):
    NEW_PAPER = "new_paper"
    METRIC_CHANGED = "metric_changed"
    NEEDS_ATTENTION = "needs_attention"  # syncs keep failing or the page layout changed
    RECOVERED = "recovered"  # the first good sync after "needs attention"

    @property
    def topic(self) -> AlertTopic:
        if self is AlertKind.NEW_PAPER:
            return AlertTopic.NEW_PAPER
        if self is AlertKind.METRIC_CHANGED:
            return AlertTopic.METRIC_CHANGED
        return AlertTopic.SYNC_FAILED


class ProfileRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id


class PaperInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str
    title: str
    authors: list[str] = []
    authors_truncated: bool = False
    published: date | None = None
    year: int | None = None
    category: str | None = None
    venue: str | None = None
    url: str | None = None
    code_url: str | None = None


class MetricInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    old: MetricValue | None
    new: MetricValue | None
    delta: MetricValue | None


class AttentionInfo(BaseModel):
    """A failure streak: since when, how many failed syncs, and the last one's status."""

    model_config = ConfigDict(frozen=True)

    since: datetime
    failures: int
    status: str | None = None
    reason: str | None = None


class AlertEvent(BaseModel):
    """One thing worth telling someone about; also the structured JSON a webhook receives."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: AlertKind
    occurred_at: datetime
    profile: ProfileRef
    paper: PaperInfo | None = None
    metric: MetricInfo | None = None
    attention: AttentionInfo | None = None


def event_id(profile_id: str, kind: AlertKind, *identity: object) -> str:
    """The stable id of an event: the same profile, kind and identity give the same id."""
    text = json.dumps([profile_id, kind.value, *identity], separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def change_events(
    profile: ProfileRef, changes: Iterable[Change], occurred_at: datetime
) -> list[AlertEvent]:
    """New papers and metric changes; other changes raise no alert."""
    events = []
    for change in changes:
        if change.kind is ChangeKind.PAPER_ADDED and change.paper_key:
            events.append(_new_paper(profile, change, occurred_at))
        elif change.kind is ChangeKind.METRIC_CHANGED and change.metric:
            events.append(_metric_changed(profile, change, occurred_at))
    return events


def needs_attention_event(
    profile: ProfileRef, *, streak: AttentionInfo, occurred_at: datetime
) -> AlertEvent:
    """The streak's events are named by when it began, the same on every machine."""
    return AlertEvent(
        id=event_id(profile.id, AlertKind.NEEDS_ATTENTION, streak.since),
        kind=AlertKind.NEEDS_ATTENTION,
        occurred_at=occurred_at,
        profile=profile,
        attention=streak,
    )


def recovered_event(
    profile: ProfileRef, *, streak: AttentionInfo, occurred_at: datetime
) -> AlertEvent:
    return AlertEvent(
        id=event_id(profile.id, AlertKind.RECOVERED, streak.since),
        kind=AlertKind.RECOVERED,
        occurred_at=occurred_at,
        profile=profile,
        attention=streak,
    )


def public_url(url: str | None) -> str | None:
    """A profile's URL without credentials, query or fragment, fit for a message."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _new_paper(profile: ProfileRef, change: Change, occurred_at: datetime) -> AlertEvent:
    summary: dict[str, Any] = change.new if isinstance(change.new, dict) else {}
    paper = PaperInfo.model_validate(
        {"title": change.paper_title or "", **summary, "key": change.paper_key}
    )
    return AlertEvent(
        id=event_id(profile.id, AlertKind.NEW_PAPER, change.paper_key),
        kind=AlertKind.NEW_PAPER,
        occurred_at=occurred_at,
        profile=profile,
        paper=paper,
    )


def _metric_changed(profile: ProfileRef, change: Change, occurred_at: datetime) -> AlertEvent:
    old, new = _number(change.old), _number(change.new)
    return AlertEvent(
        id=event_id(profile.id, AlertKind.METRIC_CHANGED, change.metric, old, new),
        kind=AlertKind.METRIC_CHANGED,
        occurred_at=occurred_at,
        profile=profile,
        metric=MetricInfo(name=change.metric or "", old=old, new=new, delta=metric_delta(old, new)),
    )


def _number(value: Any) -> MetricValue | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return tidy_number(value)
