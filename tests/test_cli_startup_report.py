"""`tracker report` over many profiles (issue 7): a few queries for all profiles instead of
one per profile, and long text printed without rich laying out every line; the same report."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from records_factory import paper, record
from tracker.cli.history_views import print_verbatim
from tracker.report import build_report, people_side_by_side
from tracker.store import FetchOutcome, FetchStatus, Profile, Store
from tracker.store.database import to_db_time
from tracker.store.queries import profile_summaries
from tracker.sync import record_snapshot

START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


def sync(store: Store, profile_id: str, moment: datetime, papers: int) -> None:
    """A sync of the profile that finds `papers` papers (the first one is its baseline)."""
    snapshot = record(papers, fetched_at=moment)
    snapshot = snapshot.model_copy(update={"papers": [paper(n) for n in range(1, papers + 1)]})
    outcome = FetchOutcome(status=FetchStatus.CHANGED, fetched_at=moment)
    run_id = store.start_run(moment)
    with store.transaction() as con:
        record_snapshot(store, con, run_id, profile_id, outcome, snapshot)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Profiles with baselines at the same and at different times; two are one person."""
    with Store.open(tmp_path / "report.duckdb") as store:
        fill(store)
        yield store


def fill(store: Store) -> None:
    people = {"ada-a": "ada", "ada-b": "ada", "grace": "grace", "alan": None, "idle": None}
    for profile_id, person in people.items():
        store.add_profile(
            Profile(
                id=profile_id,
                url=f"https://example.org/{profile_id}",
                source="profile_page",
                person=person,
                added_at=START,
            )
        )
    sync(store, "ada-a", START, 3)
    sync(store, "ada-b", START, 5)
    sync(store, "grace", START + timedelta(days=1), 2)
    sync(store, "alan", START + timedelta(days=1), 4)
    sync(store, "ada-a", START + timedelta(days=1), 6)  # papers first seen at others' baseline
    store.deactivate_profile("idle")


def papers_first_seen(store: Store, profile_id: str, moment: datetime) -> int:
    rows = store.query(
        "SELECT count(*) FROM papers WHERE profile_id = ? AND first_seen = ?",
        [profile_id, to_db_time(moment)],
    )
    return int(rows[0][0])


@pytest.mark.parametrize("profile_ids", [None, ["ada-a", "grace", "idle"], ["ada-b", "ada-a"]])
def test_baselines_count_each_profile_s_first_papers(
    store: Store, profile_ids: list[str] | None
) -> None:
    report = build_report(store, generated_at=START, profile_ids=profile_ids)
    baselines = {
        profile.id: (profile.baseline_papers, profile.baseline_at) for profile in report.profiles
    }
    expected = {
        profile_id: (papers_first_seen(store, profile_id, at), at) if at else (None, None)
        for profile_id, at in {
            "ada-a": START,
            "ada-b": START,
            "grace": START + timedelta(days=1),
            "alan": START + timedelta(days=1),
            "idle": None,
        }.items()
        if profile_id in (profile_ids or ["ada-a", "ada-b", "grace", "alan"])
    }
    assert baselines == expected


def test_baselines_are_not_counted_across_profiles(store: Store) -> None:
    report = build_report(store, generated_at=START)
    counts = {profile.id: profile.baseline_papers for profile in report.profiles}
    assert counts == {"ada-a": 3, "ada-b": 5, "alan": 4, "grace": 2}


@pytest.mark.parametrize(
    "profile_ids", [None, ["ada-a", "ada-b"], ["ada-a", "grace"], ["alan", "grace"]]
)
def test_people_side_by_side_are_those_of_every_summary(
    store: Store, profile_ids: list[str] | None
) -> None:
    report = build_report(store, generated_at=START, profile_ids=profile_ids)
    ids = [profile.id for profile in report.profiles]
    assert report.people == people_side_by_side(profile_summaries(store, ids))
    assert bool(report.people) == (profile_ids is None or profile_ids == ["ada-a", "ada-b"])


TEXTS = [
    "",
    "\n",
    "# tracker report\n\n- 2026-01-05  citations 1 → 2 (+1)\n" * 200,
    "no newline at the end",
    "wide 漢字, combining é, zero\u200bwidth, emoji 🎉 and :smile: and [bold]markup[/bold]\n",
    "x" * 500 + "\n",
    "an escape \x1b[31mcode\x1b[0m and a nul \x00\n",
    "a tab\there\n",
    "a carriage return\r\n",
    "a bell \a, a backspace \b, a form feed \f, a vertical tab \v\n",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("terminal", [False, True])
def test_verbatim_printing_prints_what_rich_prints(text: str, terminal: bool) -> None:
    printed = []
    for verbatim in (True, False):
        file = io.StringIO()
        console = Console(file=file, highlight=False, soft_wrap=True, force_terminal=terminal)
        if verbatim:
            print_verbatim(text, console)
        else:
            console.print(text, end="", markup=False, highlight=False, emoji=False)
        printed.append(file.getvalue())
    assert printed[0] == printed[1]
