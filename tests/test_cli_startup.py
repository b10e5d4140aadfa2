"""Starting a read command quickly (issue 7), without changing what it does.

`tracker history` is read without typer (`tracker.cli.quick`), and the database path
without pydantic-settings (`tracker.locations`). These tests hold the lean path to
the typer path: the same options, the same output bytes, the same errors and exit codes;
the fast settings path to `Settings`; and bound what `history` imports.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import pytest

from records_factory import record
from tracker.cli import quick
from tracker.cli.app import main as typer_main
from tracker.locations import DB_ENV, quick_db_path
from tracker.settings import Settings
from tracker.store import FetchOutcome, FetchStatus, Profile, Store
from tracker.sync import record_snapshot

START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


def add_profile(store: Store, profile_id: str) -> None:
    store.add_profile(
        Profile(
            id=profile_id,
            url=f"https://example.org/{profile_id}",
            source="profile_page",
            added_at=START,
        )
    )


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database where `ada` has a month of changing metrics and `new` has none yet."""
    path = tmp_path / "startup.duckdb"
    monkeypatch.setenv(DB_ENV, str(path))
    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with Store.open(path) as store:
        add_profile(store, "ada")
        add_profile(store, "new")
        for day, citations, papers in [(0, 100, 3), (2, 110, 3), (9, 130, 4), (30, 150, 5)]:
            moment = START + timedelta(days=day)
            snapshot = record(papers, citations=citations, fetched_at=moment)
            outcome = FetchOutcome(status=FetchStatus.CHANGED, fetched_at=moment)
            run_id = store.start_run(moment)
            with store.transaction() as con:
                record_snapshot(store, con, run_id, "ada", outcome, snapshot)
    return path


def both_paths(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(exit code, stdout, stderr) of the lean path and of the typer path."""
    assert quick.parse_history(args) is not None, "the lean path should read these"
    results = []
    for run in (quick.main, typer_main):
        code = run(list(args))
        captured = capsys.readouterr()
        results.append((code, captured.out, captured.err))
    return results[0], results[1]


# the same options


def test_the_lean_options_are_the_typer_options() -> None:
    import typer

    from tracker.cli.app import app
    from tracker.cli.commands import history  # noqa: F401  (registers the commands)

    command = typer.main.get_command(app)
    assert {opt for param in command.params for opt in param.opts} == set(quick.GLOBAL_OPTIONS)
    (db,) = command.params
    assert db.envvar == DB_ENV and db.type_descriptor.annotation is quick.GLOBAL_OPTIONS["--db"]
    history_command = command.commands[quick.HISTORY]
    options = {p.opts[0]: p for p in history_command.params if p.opts[0].startswith("--")}
    arguments = [p for p in history_command.params if not p.opts[0].startswith("--")]
    assert [(a.name, a.nargs, a.required) for a in arguments] == [("profile_id", 1, True)]
    assert set(options) == set(quick.HISTORY_OPTIONS)
    defaults = {field.name: field.default for field in dataclasses.fields(quick.HistoryCall)}
    for name, kind in quick.HISTORY_OPTIONS.items():
        param = options[name]
        assert param.opts == [name] and not param.secondary_opts
        assert param.type_descriptor.annotation is kind
        assert (param.nargs, param.multiple, param.is_flag, param.envvar) == (1, False, False, None)
        assert param.default == defaults[param.name]
        if issubclass(kind, StrEnum):
            assert param.type_descriptor.parameter_info.case_sensitive
    for each in (command, history_command):
        context = command.make_context("tracker", ["history", "x"], resilient_parsing=True)
        assert each.get_help_option_names(context) == ["--help"]
        assert context.token_normalize_func is None and context.auto_envvar_prefix is None
    assert not history_command.ignore_unknown_options and history_command.allow_interspersed_args


# the same output and errors


@pytest.mark.parametrize(
    "args",
    [
        ["history", "ada"],
        ["history", "ada", "--metric", "citations"],
        ["history", "--every", "week", "ada"],
        ["history", "ada", "--every=day", "--format", "csv"],
        ["history", "ada", "--format=json", "--since", "2026-01-06", "--until", "2026-01-20"],
        ["history", "ada", "--since", "2030-01-01"],
        ["history", "new"],
        ["history", "new", "--format", "json"],
        ["history", "nobody"],
        ["history", "ada", "--since", "yesterday-ish"],
        ["history", "ada", "--format", "parquet"],
        ["history", "ada", "--output", "table.txt"],
        ["--db", "elsewhere.duckdb", "history", "ada"],
        ["--db=elsewhere.duckdb", "history", "ada"],
    ],
)
def test_the_lean_path_prints_what_typer_prints(
    capsys: pytest.CaptureFixture[str], db: Path, args: list[str]
) -> None:
    lean, typer = both_paths(capsys, args)
    assert lean == typer
    assert typer[0] == 0 or (typer[0] == 2 and typer[2].startswith("tracker: error: "))


@pytest.mark.parametrize("format", ["csv", "json", "parquet"])
def test_the_lean_path_writes_what_typer_writes(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path, format: str
) -> None:
    import pyarrow.parquet as pq

    written = []
    for run, name in ((quick.main, "lean"), (typer_main, "typer")):
        path = tmp_path / f"{name}.{format}"
        assert (
            run(["history", "ada", "--every", "week", "--format", format, "--output", str(path)])
            == 0
        )
        assert capsys.readouterr() == (f"wrote {path}\n", "")
        written.append(pq.read_table(path).to_pylist() if format == "parquet" else path.read_text())
    assert written[0] == written[1] and written[0]


def test_the_lean_path_reports_a_bad_setting_as_typer_does(
    capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_FETCH__RETRIES", "many")
    lean, typer = both_paths(capsys, ["history", "ada"])
    assert lean == typer and typer[0] == 2
    assert typer[2].startswith("tracker: error: bad setting fetch.retries:")


def test_the_lean_path_reads_the_config_file_as_typer_does(
    capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(DB_ENV)
    monkeypatch.delenv("TRACKER_DATA_DIR")
    (tmp_path / "tracker.toml").write_text(f'db = "{db}"\n')
    lean, typer = both_paths(capsys, ["history", "ada"])
    assert lean == typer and typer[0] == 0 and "citations" in typer[1]


@pytest.fixture
def locked_db(db: Path) -> Iterator[Path]:
    """The database held open for writing by another process, as a running sync holds it."""
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


def test_the_lean_path_reports_a_locked_database_as_typer_does(
    capsys: pytest.CaptureFixture[str], locked_db: Path
) -> None:
    lean, typer = both_paths(capsys, ["history", "ada"])
    assert lean == typer and typer[0] == 2 and "in use by another process" in typer[2]


@pytest.mark.parametrize("raised", [KeyboardInterrupt, EOFError])
def test_the_lean_path_is_interrupted_as_typer_is(
    capsys: pytest.CaptureFixture[str],
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    raised: type[BaseException],
) -> None:
    from tracker.cli import history_views

    def interrupted(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(history_views, "load_history", interrupted)
    lean, typer = both_paths(capsys, ["history", "ada"])
    assert lean == typer and typer[0] == 130


TYPER_MAIN = "import sys; from tracker.cli.app import main; sys.exit(main())"


@pytest.mark.parametrize("format", ["table", "csv"])
def test_a_broken_pipe_ends_both_paths_alike(db: Path, format: str) -> None:
    results = []
    for start in (["-m", "tracker"], ["-c", TYPER_MAIN]):
        reader, writer = os.pipe()
        os.close(reader)  # nobody reads: the first write breaks the pipe
        done = subprocess.run(
            [sys.executable, *start, "history", "ada", "--format", format],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.close(writer)
        results.append((done.returncode, done.stderr))
    assert results[0] == results[1] == (1, "")


def test_shell_completion_goes_to_typer() -> None:
    assert quick.parse_history(["history", "ada"], environ={quick.COMPLETION_ENV: "bash"}) is None


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["history"],
        ["history", "--help"],
        ["history", "ada", "--help"],
        ["history", "ada", "grace"],
        ["history", "ada", "--bogus"],
        ["history", "ada", "--metric"],
        ["history", "ada", "--metric="],
        ["history", "ada", "--metric", "-x"],
        ["history", "ada", "--metric", "a", "--metric", "b"],
        ["history", "ada", "--format", "CSV"],
        ["history", "ada", "--every", "year"],
        ["history", "--", "ada"],
        ["history", "-"],
        ["history", "ada", "--db", "x.duckdb"],
        ["--db", "", "history", "ada"],
        ["--db"],
        ["--bogus", "history", "ada"],
        ["list"],
        ["papers", "ada"],
    ],
)
def test_anything_but_plain_history_goes_to_typer(
    capsys: pytest.CaptureFixture[str], db: Path, args: list[str]
) -> None:
    assert quick.parse_history(args) is None
    code = quick.main(list(args))
    lean = (code, *capsys.readouterr())
    code = typer_main(list(args))
    assert lean == (code, *capsys.readouterr())


def test_a_path_typer_would_reject_goes_to_typer(db: Path, tmp_path: Path) -> None:
    unreadable = tmp_path / "unreadable.duckdb"
    unreadable.write_bytes(b"")
    unreadable.chmod(0)
    if os.access(unreadable, os.R_OK):
        pytest.skip("this user reads anything (root): typer rejects nothing")
    assert quick.parse_history(["--db", str(unreadable), "history", "ada"]) is None


def test_the_db_comes_from_the_environment_when_not_given(db: Path) -> None:
    call = quick.parse_history(["history", "ada"], environ={DB_ENV: "/srv/x.duckdb"})
    assert call is not None and call.db == Path("/srv/x.duckdb")
    assert quick.parse_history(["history", "ada"], environ={DB_ENV: ""}) == quick.HistoryCall(
        None, "ada"
    )
    given = quick.parse_history(["--db", "y.duckdb", "history", "ada"], environ={DB_ENV: "/x"})
    assert given is not None and given.db == Path("y.duckdb")


def test_python_dash_m_tracker_prints_what_typer_prints(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    assert typer_main(["history", "ada", "--every", "week"]) == 0
    expected = capsys.readouterr().out
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "history", "ada", "--every", "week"],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, expected, "")


# what history imports


# No pydantic: what `history` reads and shows is plain data, and loading pydantic and
# building its models was a large part of the command's start.
# DuckDB's engine (`_duckdb`), not the `duckdb` package, whose Python layer is slow to compile.
HISTORY_THIRD_PARTY = {"rich"}
HISTORY_MODULES = {
    "tracker",
    "tracker.cli",
    "tracker.cli.history_views",
    "tracker.locations",
    "tracker.cli.options",
    "tracker.cli.output",
    "tracker.cli.quick",
    "tracker.cli.state",
    "tracker.errors",
    "tracker.history",
    "tracker.metrics",
    "tracker.store",
    "tracker.store.database",
    "tracker.store.engine",
    "tracker.store.history_reads",
    "tracker.store.schema",
    "tracker.store.statuses",
}


def test_history_imports_only_what_it_needs(db: Path, tmp_path: Path) -> None:
    """Not typer, pydantic, Prefect, httpx, pyarrow...: each costs start-up time.
    If this fails after a new import, check `python -X importtime -m tracker history ID`."""
    listing = tmp_path / "modules.json"
    script = (
        "import json, sys; from tracker.cli import main; code = main(['history', 'ada']); "
        f"open({str(listing)!r}, 'w').write(json.dumps(sorted(sys.modules))); sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(listing.read_text()))
    packages = {name.split(".")[0] for name in modules} - set(sys.stdlib_module_names)
    third_party = {name for name in packages if not name.startswith("_")} - {
        "tracker",
        "sitecustomize",
        "usercustomize",
    }
    assert third_party <= HISTORY_THIRD_PARTY
    assert "_duckdb" in modules
    assert {name for name in modules if name.split(".")[0] == "tracker"} <= HISTORY_MODULES


# the database path without loading every setting


ENVIRONMENTS: list[dict[str, str]] = [
    {},
    {"TRACKER_DB": "env.duckdb"},
    {"TRACKER_DATA_DIR": "env-data"},
    {"TRACKER_DB": "env.duckdb", "TRACKER_DATA_DIR": "env-data"},
    {"TRACKER_CONFIG": "elsewhere.toml"},
    {"TRACKER_DB": ""},
    {"tracker_db": "lower.duckdb"},
    {"TRACKER_CONCURRENCY": "8"},
    {"TRACKER_CONCURRENCY": "0"},
    {"TRACKER_FETCH__RETRIES": "many"},
    {"TRACKER_UNKNOWN": "1"},
]
CONFIGS: list[str | None] = [
    None,
    'db = "file.duckdb"\n',
    'data_dir = "file-data"\n',
    'db = "file.duckdb"\ndata_dir = "file-data"\n',
    'db = ""\n',
    "concurrency = 8\n",
    'data_dir = "file-data"\n[fetch]\nretries = 2\n',
    "db = 3\n",
    "db = [\n",
    'DB = "upper.duckdb"\n',
]


@pytest.mark.parametrize("environ", ENVIRONMENTS)
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("given", [None, Path("given.duckdb")])
def test_the_quick_db_path_is_the_settings_db_path(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    environ: dict[str, str],
    config: str | None,
    given: Path | None,
) -> None:
    monkeypatch.chdir(tmp_path)
    for key in [key for key in os.environ if key.upper().startswith("TRACKER_")]:
        monkeypatch.delenv(key)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    if config is not None:
        (tmp_path / environ.get("TRACKER_CONFIG", "tracker.toml")).write_text(config)

    quick_path = quick_db_path(given)

    only_paths = (
        all(
            key in {"TRACKER_DB", "TRACKER_DATA_DIR", "TRACKER_CONFIG"} and value
            for key, value in environ.items()
        )
        and config in CONFIGS[:4]
    )
    assert (quick_path is not None) == only_paths
    if quick_path is not None:
        assert quick_path == (Settings(db=given) if given else Settings()).db_path
