"""Parsing of option values shared by several commands."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from tracker.errors import UserInputError

RELATIVE = re.compile(r"^(\d+)\s*([dw])$")


class TableOrJson(StrEnum):
    table = "table"
    json = "json"


class HistoryOutput(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


class ChangesFormat(StrEnum):
    table = "table"
    md = "md"
    json = "json"


class ReportOutput(StrEnum):
    md = "md"
    json = "json"
    html = "html"


class ParseFormat(StrEnum):
    json = "json"
    table = "table"


def parse_moment(text: str | None, *, option: str, now: datetime | None = None) -> datetime | None:
    """`2026-01-31`, an ISO date-time, or `7d` / `2w` ago, as an aware UTC datetime."""
    if text is None:
        return None
    relative = RELATIVE.match(text.strip())
    if relative:
        count, unit = int(relative.group(1)), relative.group(2)
        days = count * (7 if unit == "w" else 1)
        return (now or datetime.now(UTC)) - timedelta(days=days)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserInputError(
            f"{option} {text!r} is not a date",
            hint="use YYYY-MM-DD, an ISO date-time, or 7d / 2w",
        ) from None
    if isinstance(moment, date) and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
