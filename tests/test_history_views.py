"""`tracker history`, `papers` and `list` over a real DuckDB file with known observations."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from records_factory import paper, record
from tracker.cli import main
from tracker.cli.history_views import json_time
from tracker.history import (
    Every,
    Observation,
    Sample,
    deltas,
    resample,
    sparkline,
    value_at,
)
from tracker.records import Paper
from tracker.store import FetchOutcome, FetchStatus, Profile, Store
from tracker.sync import record_snapshot


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T07:00:00+00:00")


def papers(citations: dict[int, int], *extra: Paper) -> list[Paper]:
    return [paper(number, citations=count) for number, count in citations.items()] + list(extra)


NEW_PAPER = paper(4, published=date(2026, 2, 1), citations=2)

# The profile's story: (day, citations, h-index, per-paper citations, extra papers).
# 2026-01-05 is a Monday; the last good sync (02-12) changes nothing, the last sync fails.
STORY = [
    ("2026-01-05", 100, 5, {1: 10, 2: 20, 3: 30}, ()),
    ("2026-01-07", 110, 5, {1: 10, 2: 20, 3: 30}, ()),
    ("2026-01-20", 130, 6, {1: 15, 2: 20, 3: 30}, ()),
    ("2026-02-10", 150, 6, {1: 18, 2: 20, 3: 41}, (NEW_PAPER,)),
    ("2026-02-12", 150, 6, {1: 18, 2: 20, 3: 41}, (NEW_PAPER,)),
]
FAILED_AT = at("2026-02-14")


def write_snapshot(
    store: Store,
    profile_id: str,
    moment: datetime,
    citations: int,
    h_index: int,
    listed: list[Paper],
) -> None:
    """A good sync of the profile, stored the way a sync stores it."""
    snapshot = record(len(listed), citations=citations, h_index=h_index, fetched_at=moment)
    snapshot = snapshot.model_copy(update={"papers": listed})
    outcome = FetchOutcome(status=FetchStatus.CHANGED, fetched_at=moment)
    run_id = store.start_run(moment)
    with store.transaction() as con:
        record_snapshot(store, con, run_id, profile_id, outcome, snapshot)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "history.duckdb"
    monkeypatch.setenv("TRACKER_DB", str(path))
    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    with Store.open(path) as store:
        store.add_profile(
            Profile(
                id="ada",
                url="https://example.org/ada",
                source="profile_page",
                added_at=at("2026-01-01"),
            )
        )
        for day, citations, h_index, counts, extra in STORY:
            write_snapshot(store, "ada", at(day), citations, h_index, papers(counts, *extra))
        run_id = store.start_run(FAILED_AT)
        with store.transaction() as con:
            failed = FetchOutcome(
                status=FetchStatus.FAILED,
                fetched_at=FAILED_AT,
                reason="answered 503 Service Unavailable",
            )
            store.insert_fetch(con, run_id, "ada", failed)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def cells(output: str, first: str, *, below: int = 0) -> list[str]:
    """The cells of the table line whose first cell is `first` (or of a line `below` it)."""
    lines = output.splitlines()
    for number, line in enumerate(lines):
        parts = [part.strip() for part in line.split("│")]
        if len(parts) > 2 and parts[1] == first:
            return [part.strip() for part in lines[number + below].split("│")][1:-1]
    raise AssertionError(f"no row {first!r} in\n{output}")


# the pure parts


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8], "▁▂▃▄▅▆▇█"),
        ([5, 5, 5], "▄▄▄"),
        ([None, 0, 10], " ▁█"),
        ([], ""),
        ([None], ""),
        ([0.5, 1.5], "▁█"),
    ],
)
def test_sparkline(values: list[int | float | None], expected: str) -> None:
    assert sparkline(values) == expected


SERIES = [Observation(at("2026-01-05"), 100), Observation(at("2026-01-20"), 130)]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at("2026-01-05") - timedelta(microseconds=1), None),
        (at("2026-01-05"), 100),  # a value holds from the moment it was observed
        (at("2026-01-19"), 100),
        (at("2026-01-20"), 130),
        (at("2027-01-01"), 130),
    ],
)
def test_value_at_is_a_step_function(moment: datetime, expected: int | None) -> None:
    assert value_at(SERIES, moment) == expected


@pytest.mark.parametrize(
    ("every", "start", "end", "expected"),
    [
        (
            Every.day,
            at("2026-01-19"),
            at("2026-01-21"),
            [(date(2026, 1, 19), 100), (date(2026, 1, 20), 130), (date(2026, 1, 21), 130)],
        ),
        (
            Every.week,
            at("2026-01-01"),
            at("2026-01-20"),
            [
                (date(2025, 12, 29), None),  # the week before the first observation
                (date(2026, 1, 5), 100),
                (date(2026, 1, 12), 100),
                (date(2026, 1, 19), 130),  # the week's last value, as of `end`
            ],
        ),
        (
            Every.month,
            at("2025-12-15"),
            at("2026-02-01"),
            [(date(2025, 12, 1), None), (date(2026, 1, 1), 130), (date(2026, 2, 1), 130)],
        ),
    ],
)
def test_resample_takes_the_last_value_of_each_period(
    every: Every, start: datetime, end: datetime, expected: list[tuple[date, int | None]]
) -> None:
    assert resample(SERIES, start=start, end=end, every=every) == [Sample(*s) for s in expected]


def test_deltas_compare_with_the_value_in_force_n_days_before() -> None:
    assert deltas(SERIES, at("2026-01-27"), days=(7, 10, 30)) == {7: 0, 10: 30, 30: None}


# the commands


def test_history_table_has_sparklines_and_deltas(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    output = run(capsys, "history", "ada")
    assert "ada: metrics as of 2026-02-12 07:00 UTC" in output  # the last good sync
    # 38 days: weekly, the last value of the weeks from Monday 01-05 to 02-09
    assert "the last value of each week from 2026-01-05" in output
    assert cells(output, "citations") == ["citations", "150", "▁▁▅▅▅█", "+20", "+40", "—"]
    assert cells(output, "h-index") == ["h-index", "6", "▁▁████", "0", "+1", "—"]
    assert cells(output, "papers") == ["papers", "4", "▁▁▁▁▁█", "+1", "+1", "—"]
    assert cells(output, "2026-01-20 07:00") == [
        "2026-01-20 07:00",
        "130",
        "6",
        "",
    ]  # the rows of observed changes


def test_history_every_week_and_a_window(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    output = run(capsys, "history", "ada", "--every", "week", "--metric", "citations")
    assert [
        cells(output, week) for week in ("2026-01-05", "2026-01-12", "2026-01-19", "2026-02-09")
    ] == [
        ["2026-01-05", "110"],
        ["2026-01-12", "110"],
        ["2026-01-19", "130"],
        ["2026-02-09", "150"],
    ]
    assert cells(output, "citations")[2] == "▁▁▅▅▅█"
    windowed = run(
        capsys,
        "history",
        "ada",
        "--metric",
        "citations",
        "--since",
        "2026-01-15",
        "--until",
        "2026-02-01",
    )
    assert "metrics as of 2026-02-01 00:00 UTC" in windowed
    # daily from 01-15 to 02-01: 110 x5, 130 x13
    assert cells(windowed, "citations") == ["citations", "130", "▁" * 5 + "█" * 13, "0", "—", "—"]


def test_history_csv_json_and_parquet(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    assert run(
        capsys,
        "history",
        "ada",
        "--metric",
        "citations",
        "--since",
        "2026-01-15",
        "--format",
        "csv",
    ) == (
        "observed_at,metric,value\n"
        "2026-01-20T07:00:00+00:00,citations,130\n"
        "2026-02-10T07:00:00+00:00,citations,150\n"
    )
    assert run(
        capsys, "history", "ada", "--every", "week", "--metric", "citations", "--format", "csv"
    ) == (
        "period,metric,value\n"
        "2026-01-05,citations,110\n"
        "2026-01-12,citations,110\n"
        "2026-01-19,citations,130\n"
        "2026-01-26,citations,130\n"
        "2026-02-02,citations,130\n"
        "2026-02-09,citations,150\n"
    )
    monthly = json.loads(run(capsys, "history", "ada", "--every", "month", "--format", "json"))
    assert monthly == [
        {"period": "2026-01-01", "metric": "citations", "value": 130},
        {"period": "2026-01-01", "metric": "h_index", "value": 6},
        {"period": "2026-01-01", "metric": "paper_count", "value": 3},
        {"period": "2026-02-01", "metric": "citations", "value": 150},
        {"period": "2026-02-01", "metric": "h_index", "value": 6},
        {"period": "2026-02-01", "metric": "paper_count", "value": 4},
    ]
    changes = json.loads(run(capsys, "history", "ada", "--metric", "h_index", "--format", "json"))
    assert changes == [
        {"observed_at": "2026-01-05T07:00:00Z", "metric": "h_index", "value": 5},
        {"observed_at": "2026-01-20T07:00:00Z", "metric": "h_index", "value": 6},
    ]

    weekly = tmp_path / "weekly.parquet"
    out = run(
        capsys,
        "history",
        "ada",
        "--every",
        "week",
        "--metric",
        "h_index",
        "--format",
        "parquet",
        "--output",
        str(weekly),
    )
    assert out == f"wrote {weekly}\n"
    assert pq.read_table(weekly).to_pylist() == [
        {"period": date(2026, 1, d), "metric": "h_index", "value": v}
        for d, v in ((5, 5.0), (12, 5.0), (19, 6.0), (26, 6.0))
    ] + [{"period": date(2026, 2, d), "metric": "h_index", "value": 6.0} for d in (2, 9)]
    observed = tmp_path / "changes.parquet"
    run(
        capsys,
        "history",
        "ada",
        "--metric",
        "citations",
        "--format",
        "parquet",
        "--output",
        str(observed),
    )
    assert pq.read_table(observed).to_pylist() == [
        {"observed_at": at(day), "metric": "citations", "value": value}
        for day, value in (
            ("2026-01-05", 100.0),
            ("2026-01-07", 110.0),
            ("2026-01-20", 130.0),
            ("2026-02-10", 150.0),
        )
    ]


MINUTE_OFFSETS = st.integers(-23 * 60, 23 * 60).map(lambda minutes: timedelta(minutes=minutes))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.dates(),
        st.datetimes(),
        st.datetimes(timezones=st.just(UTC)),
        st.datetimes(timezones=MINUTE_OFFSETS.map(timezone)),
    )
)
def test_json_times_are_written_as_pydantic_writes_them(moment: date) -> None:
    """`history --format json` kept its bytes when it stopped serialising with pydantic."""
    from pydantic_core import to_jsonable_python

    assert json.dumps(moment, default=json_time) == json.dumps(to_jsonable_python(moment))


def test_parquet_needs_an_output_file(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    assert main(["history", "ada", "--format", "parquet"]) == 2
    assert capsys.readouterr().err.startswith(
        "tracker: error: --format parquet needs --output PATH"
    )


def test_papers_with_citations_and_their_recent_change(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    rows = json.loads(run(capsys, "papers", "ada", "--format", "json"))
    # newest first; gained over the 30 days before the last good sync (since 01-13 07:00)
    assert [
        (r["title"], r["citations"], r["citations_gained_30d"], r["first_seen"]) for r in rows
    ] == [
        ("A Study of Topic 4", 2, 0, "2026-02-10T07:00:00Z"),
        ("A Study of Topic 3", 41, 11, "2026-01-05T07:00:00Z"),
        ("A Study of Topic 2", 20, 0, "2026-01-05T07:00:00Z"),
        ("A Study of Topic 1", 18, 8, "2026-01-05T07:00:00Z"),
    ]
    table = run(capsys, "papers", "ada")
    header = next(line for line in table.splitlines() if "published" in line)
    assert [cell.strip() for cell in header.split("┃")][1:-1] == [
        "published",
        "title / authors · venue",
        "code",
        "citations",
        "Δ 30d",
        "first seen",
    ]
    assert cells(table, "2024-01-03") == [
        "2024-01-03",
        "A Study of Topic 3",
        "",
        "41",
        "+11",
        "2026-01-05",
    ]
    byline = " ".join(cells(table, "2024-01-03", below=n)[1] for n in (1, 2))  # wrapped
    assert byline == "Ada Lovelace, Alan Turing · LG"
    assert cells(table, "2024-01-02")[3:5] == ["20", ""]

    new = json.loads(run(capsys, "papers", "ada", "--new-since", "2026-02-01", "--format", "json"))
    assert [r["title"] for r in new] == ["A Study of Topic 4"]


def test_list_shows_the_change_since_the_previous_sync_and_why_the_last_one_failed(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    [summary] = json.loads(run(capsys, "list", "--format", "json"))
    assert summary["deltas"] == {}  # the last good sync (02-12) read what 02-10 read
    assert (summary["last_status"], summary["last_reason"]) == (
        "failed",
        "answered 503 Service Unavailable",
    )
    table = run(capsys, "list")
    assert cells(table, "ada") == ["ada", "150", "6", "4", "2026-02-14 07:00", "failed"]
    assert "ada failed 2026-02-14 07:00: answered 503 Service Unavailable" in table

    with Store.open(db) as store:
        write_snapshot(store, "ada", at("2026-02-15"), 157, 6, papers(STORY[-1][3], NEW_PAPER))
    [summary] = json.loads(run(capsys, "list", "--format", "json"))
    assert summary["deltas"] == {"citations": 7}
    table = run(capsys, "list")
    assert cells(table, "ada")[1:3] == ["157", "6"]
    assert cells(table, "ada", below=1)[1:3] == ["+7", ""]  # the change since 02-12
