"""Metric values: their type, the change between two, and how people read them.

Records, changes, stored rows, reports and the CLI share these. The module imports
nothing beyond the standard library, so `tracker history` uses them without pydantic.
"""

from __future__ import annotations

from typing import Any

MetricValue = int | float

METRIC_LABELS = {
    "h_index": "h-index",
    "i10_index": "i10-index",
    "paper_count": "papers",
    "novelty_percent": "novelty %",
    "ai_score": "AI score",
}


def tidy_number(value: float) -> MetricValue:
    """A whole float as int (76.0 → 76), anything else unchanged."""
    return int(value) if float(value).is_integer() else value


def metric_delta(old: Any, new: Any) -> MetricValue | None:
    """new - old for a metric that had a value before and after."""
    if isinstance(old, int | float) and isinstance(new, int | float):
        return tidy_number(new - old)
    return None


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def format_number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


def format_delta(delta: MetricValue | None) -> str:
    if delta is None:
        return ""
    return f"+{format_number(delta)}" if delta > 0 else format_number(delta)
