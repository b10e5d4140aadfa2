"""Metric history as step functions: resampling, deltas over N days, sparklines. Pure.

A metric's value holds from its observation until the next one, so "the value on
a day" is the last value observed at or before it.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple

from tracker.metrics import MetricValue, metric_delta

DELTA_DAYS = (7, 30, 365)
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 24  # periods in a sparkline at most (the latest), so a table fits 80 columns


class Every(StrEnum):
    day = "day"
    week = "week"  # ISO weeks, Monday to Sunday
    month = "month"


class Observation(NamedTuple):
    at: datetime
    value: MetricValue


class Sample(NamedTuple):
    """The last value in force in the period that starts on `period` (None: not observed yet)."""

    period: date
    value: MetricValue | None


@dataclass(frozen=True)
class MetricTrend:
    """One metric over a window: its value at the end, its deltas, and its samples."""

    metric: str
    value: MetricValue | None
    deltas: dict[int, MetricValue | None]
    samples: list[Sample]

    @property
    def shown(self) -> list[Sample]:
        """The samples a sparkline shows: the latest SPARK_WIDTH."""
        return self.samples[-SPARK_WIDTH:]

    @property
    def sparkline(self) -> str:
        return sparkline([sample.value for sample in self.shown])


def value_at(series: Sequence[Observation], moment: datetime) -> MetricValue | None:
    """The value in force at `moment`: the last one observed at or before it."""
    index = bisect.bisect_right(series, moment, key=lambda observation: observation.at)
    return series[index - 1].value if index else None


def period_start(moment: datetime | date, every: Every) -> date:
    """The first day of the (UTC) period that holds `moment`."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    if every is Every.week:
        return day - timedelta(days=day.weekday())
    if every is Every.month:
        return day.replace(day=1)
    return day


def next_period(start: date, every: Every) -> date:
    if every is Every.week:
        return start + timedelta(days=7)
    if every is Every.month:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=1)


def resample(
    series: Sequence[Observation], *, start: datetime, end: datetime, every: Every
) -> list[Sample]:
    """The last value of each period from the one holding `start` to the one holding `end`."""
    samples = []
    period = period_start(start, every)
    while period <= period_start(end, every):
        following = next_period(period, every)
        period_end = datetime.combine(following, time(), tzinfo=UTC) - timedelta(microseconds=1)
        samples.append(Sample(period, value_at(series, min(period_end, end))))
        period = following
    return samples


def deltas(
    series: Sequence[Observation], at: datetime, days: Sequence[int] = DELTA_DAYS
) -> dict[int, MetricValue | None]:
    """The value at `at` minus the value in force N days earlier (None: not observed then)."""
    now = value_at(series, at)
    return {n: metric_delta(value_at(series, at - timedelta(days=n)), now) for n in days}


def auto_every(start: datetime, end: datetime) -> Every:
    """A resolution that keeps a sparkline of the whole window short."""
    span = end - start
    if span <= timedelta(days=SPARK_WIDTH):
        return Every.day
    return Every.week if span <= timedelta(weeks=SPARK_WIDTH) else Every.month


def trends(
    series: Mapping[str, Sequence[Observation]],
    *,
    start: datetime,
    end: datetime,
    every: Every,
) -> list[MetricTrend]:
    """Every metric's trend over [start, end], resampled to `every`, in name order."""
    return [
        MetricTrend(
            metric=metric,
            value=value_at(observations, end),
            deltas=deltas(observations, end),
            samples=resample(observations, start=start, end=end, every=every),
        )
        for metric, observations in sorted(series.items())
    ]


def sparkline(values: Sequence[MetricValue | None]) -> str:
    """`▁▃█`: one block per value scaled between the lowest and highest; a gap for None."""
    known = [value for value in values if value is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    top = len(SPARK_BLOCKS) - 1

    def block(value: MetricValue | None) -> str:
        if value is None:
            return " "
        if high == low:
            return SPARK_BLOCKS[top // 2]
        return SPARK_BLOCKS[round((value - low) / (high - low) * top)]

    return "".join(block(value) for value in values)
