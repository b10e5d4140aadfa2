"""The command line: output shapes, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker.cli import main
from tracker.pageserver import PageServer, Response

FIXTURES = Path(__file__).parent / "fixtures"
PAGE = FIXTURES / "profile_page" / "hankook-lee.txt"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("TRACKER_DB", str(path))
    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRACKER_FETCH__POLITENESS_DELAY", "0")
    monkeypatch.setenv("TRACKER_FETCH__RETRIES", "0")
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "ftp://example.org/x"], "only http and https URLs"),
        (["add", "not a url"], "URL"),
        (["history", "nobody"], "no database at"),
        (["list", "--bogus"], "No such option: --bogus"),
        (["history"], "Missing argument 'ID'"),
        (["changes", "--since", "yesterday-ish"], "is not a date"),
        (["parse", "/no/such/file.html"], "cannot read /no/such/file.html"),
        (["parse", str(PAGE), "--source", "myspace"], "unknown source 'myspace'"),
        (["parse", str(PAGE), "--fetched-at", "soon"], "--fetched-at 'soon' is not a date"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], db: Path, args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert err.startswith("tracker: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_profile_id_after_add(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    assert run(capsys, "add", "https://example.org/people/ada-l")[:2] == (0, "ada-l\n")
    code, _, err = run(capsys, "history", "grace")
    assert code == 2 and "no profile with id 'grace'" in err
    code, _, err = run(capsys, "history", ":smile:")  # echoed as typed, not as an emoji
    assert code == 2 and "no profile with id ':smile:'" in err
    code, _, err = run(capsys, "add", "https://example.org/people/ada-l")
    assert code == 2 and "tracked already as 'ada-l'" in err
    assert run(capsys, "add", "https://example.org/x", "--id", "bad id!")[0] == 2


def test_parse_prints_the_record_as_json(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = run(capsys, "parse", str(PAGE), "--fetched-at", "2026-01-15", "--format", "json")
    assert code == 0
    record = json.loads(out)
    assert record["source"] == "profile_page"
    assert (record["name"], record["affiliation"]) == ("Hankook Lee", "LG")
    assert record["metrics"] == {
        "h_index": 76,
        "citations": 754,
        "paper_count": 24,
        "novelty_percent": 57,
        "ai_score": 60,
    }
    assert len(record["papers"]) == 24
    assert any("h-index" in warning for warning in record["warnings"])


def test_parse_a_url_from_a_local_server(
    capsys: pytest.CaptureFixture[str], db: Path, page_server: PageServer
) -> None:
    page_server.set("/p", Response(body=PAGE.read_bytes(), content_type="text/plain"))
    code, out, _ = run(capsys, "parse", page_server.url("/p"))
    assert code == 0 and json.loads(out)["name"] == "Hankook Lee"
    page_server.set("/gone", Response(status=404, body=b"no"))
    code, _, err = run(capsys, "parse", page_server.url("/gone"))
    assert code == 2 and "404" in err


def test_a_page_that_is_no_profile_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    page = tmp_path / "signin.html"
    page.write_text("<html><body><h1>Sign in</h1><form>Email</form></body></html>")
    code, _, err = run(capsys, "parse", str(page))
    assert code == 2 and "not a profile page" in err


def test_list_on_a_fresh_machine(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    assert run(capsys, "list") == (
        0,
        "No profiles tracked yet: add one with `tracker add URL`.\n",
        "",
    )
    assert run(capsys, "list", "--format", "json")[:2] == (0, "[]\n")


@pytest.fixture
def locked_db(db: Path) -> Iterator[Path]:
    """The database held open for writing by another process, as a running sync holds it."""
    assert main(["add", "https://example.org/people/ada"]) == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
    yield db
    holder.communicate("")


@pytest.mark.parametrize(
    "args", [["list"], ["history", "ada"], ["add", "https://x.org/b"], ["sync"], ["remove", "ada"]]
)
def test_a_locked_database_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], locked_db: Path, args: list[str]
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert err == (
        f"tracker: error: the database {locked_db} is in use by another process "
        "(another tracker process is using the database; wait for it to finish and retry)\n"
    )


@pytest.mark.parametrize("command", ["list", "history ada", "papers ada", "changes", "report"])
def test_read_commands_do_not_import_prefect(db: Path, command: str) -> None:
    assert main(["add", "https://example.org/people/ada"]) == 0
    script = (
        "import sys; from tracker.cli import main; "
        f"code = main({command.split()!r}); "
        "assert 'prefect' not in sys.modules, 'prefect was imported'; sys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_one_person_on_two_sources_is_grouped_and_compared(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    from datetime import UTC, datetime

    from records_factory import record
    from tracker.store import FetchOutcome, FetchStatus, Store
    from tracker.sync import record_snapshot

    assert (
        main(
            [
                "add",
                "https://scholar.google.com/citations?user=abcdEFGHijkl",
                "--person",
                "ada",
                "--id",
                "ada-scholar",
            ]
        )
        == 0
    )
    assert (
        main(["add", "https://openalex.org/A5023888391", "--person", "ada", "--id", "ada-openalex"])
        == 0
    )
    assert main(["add", "https://example.org/people/grace"]) == 0
    capsys.readouterr()
    with Store.open(db) as store:
        run_id = store.start_run(datetime(2026, 1, 1, tzinfo=UTC))
        for profile_id, citations in (("ada-scholar", 120), ("ada-openalex", 97)):
            snapshot = record(citations=citations, source=store.profile(profile_id).source)
            outcome = FetchOutcome(status=FetchStatus.CHANGED, fetched_at=snapshot.fetched_at)
            with store.transaction() as con:
                record_snapshot(store, con, run_id, profile_id, outcome, snapshot)

    code, out, _ = run(capsys, "list")
    assert code == 0
    rows = [line for line in out.splitlines() if "ada-" in line]
    assert len(rows) == 2 and "ada" in rows[0].split("│")[1] and rows[1].split("│")[1].strip() == ""
    assert "openalex" in rows[0] and "scholar" in rows[1]

    code, out, _ = run(capsys, "report", "--format", "md")
    assert "| metric | ada-openalex (openalex) | ada-scholar (scholar) |" in out
    assert "| citations | 97 | 120 |" in out
