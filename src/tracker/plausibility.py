"""Does a freshly parsed snapshot look like the same page as the last good one?

A page that was blocked, half-served or redesigned can still parse. Rather than
report every paper as removed, such a snapshot is kept as a failed sync.
"""

from __future__ import annotations

from tracker.records import ProfileRecord

# Losing more than this share of papers at once looks like a broken page, not a cleanup.
MAX_SHARE_LOST = 0.5
MIN_PAPERS_FOR_SHARE_RULE = 6
# Counts that only grow: a fall below half of a sizeable value is a misread page (a digit
# lost, another number picked up), not the world. Small counts may well be corrected.
CUMULATIVE_METRICS = ("citations", "h_index", "i10_index")
MIN_VALUE_FOR_FALL_RULE = 10


def implausible_reason(before: ProfileRecord | None, after: ProfileRecord) -> str | None:
    """Why `after` looks broken compared to `before`, or None when it looks sound."""
    if before is None:
        return None if after.metrics or after.papers else "the page has no metrics and no papers"
    if before.source != after.source:
        return f"the page is now recognised as {after.source!r}, not {before.source!r}"
    vanished = sorted(set(before.metrics) - set(after.metrics))
    if vanished:
        return f"metrics vanished from the page: {', '.join(vanished)}"
    fallen = _collapsed_metric(before, after)
    if fallen:
        return fallen
    had, has = len(before.papers), len(after.papers)
    if had and not has:
        return f"no papers on the page where there were {had}"
    if had >= MIN_PAPERS_FOR_SHARE_RULE and has < had * (1 - MAX_SHARE_LOST):
        return f"only {has} papers on the page where there were {had}"
    return None


def _collapsed_metric(before: ProfileRecord, after: ProfileRecord) -> str | None:
    for metric in CUMULATIVE_METRICS:
        old, new = before.metrics.get(metric), after.metrics.get(metric)
        if old is None or new is None or old < MIN_VALUE_FOR_FALL_RULE:
            continue
        if new < old * (1 - MAX_SHARE_LOST):
            return f"{metric} fell from {old:g} to {new:g}"
    return None
