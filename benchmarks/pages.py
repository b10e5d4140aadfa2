"""Varied researchers and their profile pages, the same for every section and every run.

`researcher(n)` is the n-th made-up researcher (3 to 45 papers with abstracts, like the
sample page); `evolve` is one day of change for one of them (citations rise, now and then a
new paper or a higher h-index). `serve` puts pages on a `PageServer` gzipped, as a real
site sends them, which also keeps 10,000 pages small in memory.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files

from tracker.demo_page import render_profile_html
from tracker.pageserver import PageServer, Response
from tracker.records import Paper, ProfileRecord
from tracker.store import Profile

DAY_ONE = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
CATEGORIES = ("LG", "CV", "CL", "AI", "RO", "CR", "QM", "ST")
FIRST_NAMES = ("Ada", "Alan", "Grace", "Jae", "Min", "Sofia", "Ravi", "Lena", "Tomás", "Yuki")
LAST_NAMES = ("Lee", "Kim", "Turing", "Hopper", "Okafor", "Müller", "Rossi", "Sato", "Das")
AFFILIATIONS = ("KAIST", "LG AI Research", "ETH Zürich", "MIT", "Inria", "University of Tokyo")
_WORDS = tuple(
    sorted(
        {
            word.strip(".,;:()\"'")
            for word in files("tracker.demo_data").joinpath("hankook-lee.txt").read_text().split()
            if word.isalpha() and len(word) > 2
        }
    )
)


def researcher(number: int) -> ProfileRecord:
    """The `number`-th researcher as their page shows them on day one."""
    rng = random.Random(number)
    count = rng.randint(3, 45)
    papers = [_paper(rng, n) for n in range(count)]
    citations = rng.randint(count * 5, count * 200)
    return ProfileRecord(
        source="profile_page",
        url=None,
        fetched_at=DAY_ONE,
        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {number}",
        affiliation=rng.choice(AFFILIATIONS),
        metrics={
            "h_index": min(count, int(citations**0.5)),
            "paper_count": count,
            "citations": citations,
            "novelty_percent": rng.randint(10, 90),
            "ai_score": rng.randint(10, 99),
        },
        papers=papers,
    )


def _paper(rng: random.Random, number: int) -> Paper:
    title = " ".join(rng.choice(_WORDS).capitalize() for _ in range(rng.randint(4, 11)))
    authors = [
        f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 3))
    ]
    abstract = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(60, 200))) + "."
    published = date(2016, 1, 1) + timedelta(days=rng.randint(0, 3600))
    return Paper(
        key=f"title:{title.lower()} {number}",
        title=f"{title} {number}",
        authors=list(dict.fromkeys(authors)),
        authors_truncated=rng.random() < 0.4,
        published=published,
        year=published.year,
        category=rng.choice(CATEGORIES),
        has_code=rng.random() < 0.3,
        abstract=abstract,
    )


def evolve(record: ProfileRecord, rng: random.Random, day: date) -> ProfileRecord:
    """One day of change: citations rise; one day in four a new paper, one in ten the h-index."""
    metrics = dict(record.metrics)
    metrics["citations"] = int(metrics["citations"]) + rng.randint(1, 40)
    papers = record.papers
    if rng.random() < 0.25:
        paper = _paper(rng, len(papers)).model_copy(update={"published": day, "year": day.year})
        papers = [paper, *papers]
        metrics["paper_count"] = len(papers)
    if rng.random() < 0.1:
        metrics["h_index"] = int(metrics["h_index"]) + 1
    return record.model_copy(update={"metrics": metrics, "papers": papers})


def page_body(record: ProfileRecord) -> bytes:
    """The page as the server sends it: gzipped HTML."""
    return gzip.compress(render_profile_html(record).encode(), compresslevel=6, mtime=0)


def path_of(number: int) -> str:
    return f"/researchers/r{number:05d}"


def profile_id(number: int) -> str:
    return f"r{number:05d}"


def serve(server: PageServer, pages: Iterable[tuple[int, bytes]]) -> None:
    """Serve each (researcher number, gzipped body) at the researcher's path."""
    for number, body in pages:
        server.set(
            path_of(number),
            Response(body=body, headers={"Content-Encoding": "gzip"}),
        )


def new_profile(server: PageServer, number: int) -> Profile:
    return Profile(
        id=profile_id(number),
        url=server.url(path_of(number)),
        source="profile_page",
        added_at=DAY_ONE,
    )
