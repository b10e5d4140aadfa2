"""Small, readable ProfileRecords for tests that do not care about parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from tracker.records import Paper, ProfileRecord

FETCHED_AT = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


def paper(number: int, **changes: Any) -> Paper:
    values: dict[str, Any] = {
        "key": f"title:a study of topic {number}",
        "title": f"A Study of Topic {number}",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "published": date(2024, 1, min(number, 28)),
        "category": "LG",
        "abstract": f"We study topic {number} and report what we found.",
    }
    return Paper(**(values | changes))


def record(
    papers: int = 5, *, citations: int = 100, h_index: int = 5, **changes: Any
) -> ProfileRecord:
    values: dict[str, Any] = {
        "source": "profile_page",
        "url": "http://127.0.0.1/profile",
        "fetched_at": FETCHED_AT,
        "name": "Ada Lovelace",
        "affiliation": "Analytical Engines",
        "metrics": {"h_index": h_index, "citations": citations, "paper_count": papers},
        "papers": [paper(n) for n in range(1, papers + 1)],
    }
    return ProfileRecord(**(values | changes))
