"""Typed changes between two snapshots of a profile, and the pure diff that finds them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from tracker.metrics import MetricValue, metric_delta
from tracker.records import Paper, ProfileRecord

# Fields that say what a paper is; a change in any of them is a "paper changed".
PAPER_FIELDS = tuple(name for name in Paper.model_fields if name != "key")
# What a new paper's entry keeps, so a change row stays small.
PAPER_SUMMARY_FIELDS = (
    "title",
    "authors",
    "authors_truncated",
    "published",
    "year",
    "category",
    "venue",
    "url",
    "code_url",
    "citations",
)


class ChangeKind(StrEnum):
    METRIC_CHANGED = "metric_changed"
    PAPER_ADDED = "paper_added"
    PAPER_REMOVED = "paper_removed"
    PAPER_CHANGED = "paper_changed"


class Change(BaseModel):
    """One thing that changed on a profile between two good snapshots."""

    model_config = ConfigDict(frozen=True)

    kind: ChangeKind
    metric: str | None = None
    paper_key: str | None = None
    paper_title: str | None = None
    old: Any = None
    new: Any = None
    fields: tuple[str, ...] = ()

    @property
    def delta(self) -> MetricValue | None:
        return metric_delta(self.old, self.new)


def diff(before: ProfileRecord, after: ProfileRecord) -> list[Change]:
    """Everything that changed from `before` to `after`; paper order is not a change."""
    return [*_metric_changes(before, after), *_paper_changes(before, after)]


def _metric_changes(before: ProfileRecord, after: ProfileRecord) -> list[Change]:
    changes = []
    for metric, new in after.metrics.items():
        old = before.metrics.get(metric)
        if old != new:
            changes.append(Change(kind=ChangeKind.METRIC_CHANGED, metric=metric, old=old, new=new))
    return changes


def _paper_changes(before: ProfileRecord, after: ProfileRecord) -> list[Change]:
    old_papers = {paper.key: paper for paper in before.papers}
    new_papers = {paper.key: paper for paper in after.papers}
    changes = []
    for key, paper in new_papers.items():
        previous = old_papers.get(key)
        if previous is None:
            changes.append(
                Change(
                    kind=ChangeKind.PAPER_ADDED,
                    paper_key=key,
                    paper_title=paper.title,
                    new=paper_summary(paper),
                )
            )
        elif changed := _changed_fields(previous, paper):
            changes.append(
                Change(
                    kind=ChangeKind.PAPER_CHANGED,
                    paper_key=key,
                    paper_title=paper.title,
                    old=_pick(previous, changed),
                    new=_pick(paper, changed),
                    fields=changed,
                )
            )
    for key, paper in old_papers.items():
        if key not in new_papers:
            changes.append(
                Change(
                    kind=ChangeKind.PAPER_REMOVED,
                    paper_key=key,
                    paper_title=paper.title,
                    old=paper_summary(paper),
                )
            )
    return changes


def paper_summary(paper: Paper) -> dict[str, Any]:
    """The fields of a paper that a report or an alert shows."""
    return _pick(paper, PAPER_SUMMARY_FIELDS)


def _changed_fields(old: Paper, new: Paper) -> tuple[str, ...]:
    return tuple(name for name in PAPER_FIELDS if getattr(old, name) != getattr(new, name))


def _pick(paper: Paper, fields: tuple[str, ...]) -> dict[str, Any]:
    return paper.model_dump(mode="json", include=set(fields))
