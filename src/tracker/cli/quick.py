"""The command line's entry: `tracker history` is answered before typer is imported.

Importing typer and registering every command takes a large share of a read command's
start. `main` reads the plain form of `tracker [--db PATH] history ID [options]` itself
and runs the same `show_history` the typer command runs, printing through the same
consoles and reporting errors through the same function. Anything else (another
command, --help, an option it does not know, a repeated option, a value that is empty,
starts with '-' or is not one of the choices, a path typer would reject) goes to the
typer app untouched, so every usage error stays typer's.

The options are declared for typer in `tracker.cli.app` and `tracker.cli.commands`;
GLOBAL_OPTIONS and HISTORY_OPTIONS mirror them, and tests check that the two agree and
that both paths print the same bytes and exit with the same codes.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NoReturn, TextIO, TypeVar, cast

from tracker.cli.options import HistoryOutput
from tracker.errors import TrackerError
from tracker.history import Every
from tracker.locations import DB_ENV

GLOBAL_OPTIONS: dict[str, type] = {"--db": Path}
HISTORY = "history"
# Set, it asks typer for shell completions instead of running a command.
COMPLETION_ENV = "_TRACKER_COMPLETE"
HISTORY_OPTIONS: dict[str, type] = {
    "--metric": str,
    "--since": str,
    "--until": str,
    "--every": Every,
    "--format": HistoryOutput,
    "--output": Path,
}

Choice = TypeVar("Choice", bound=StrEnum)


class NotPlain(Exception):
    """The arguments are not the plain form of `history`: typer reads them."""


@dataclass(frozen=True)
class HistoryCall:
    """`tracker history` with its arguments read."""

    db: Path | None
    profile_id: str
    metric: str | None = None
    since: str | None = None
    until: str | None = None
    every: Every | None = None
    format: HistoryOutput = HistoryOutput.table
    output: Path | None = None

    def run(self) -> None:
        from tracker.cli.history_views import show_history
        from tracker.cli.output import out
        from tracker.cli.state import CliState

        show_history(
            CliState(self.db).db_path,
            self.profile_id,
            metric=self.metric,
            since=self.since,
            until=self.until,
            every=self.every,
            format=self.format,
            output=self.output,
            console=out,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI: `history` here when it is plainly written, everything else with typer."""
    args = list(sys.argv[1:] if argv is None else argv)
    call = parse_history(args)
    if call is None:
        from tracker.cli.app import main as run_with_typer

        return run_with_typer(args)
    return run_guarded(call.run)


def entry_point() -> None:
    sys.exit(main())


def run_guarded(command: Callable[[], None]) -> int:
    """Run a command as typer runs one for `tracker.cli.app.main`: an expected error is one
    line; Ctrl-C exits 130 quietly, end of input as an interruption, a broken pipe 1."""
    from tracker.cli.output import EXIT_INTERRUPTED, report_error, report_interrupted

    try:
        command()
    except TrackerError as error:
        return report_error(error)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except EOFError:
        print(file=sys.stderr, flush=True)
        return report_interrupted()
    except OSError as error:
        if error.errno != errno.EPIPE:
            raise
        _exit_on_broken_pipe()
    return 0


def _exit_on_broken_pipe() -> NoReturn:
    """Exit 1, and let flushing the broken stream at exit pass quietly (typer's way)."""
    from typer._click.utils import PacifyFlushWrapper

    sys.stdout = cast(TextIO, PacifyFlushWrapper(sys.stdout))
    sys.stderr = cast(TextIO, PacifyFlushWrapper(sys.stderr))
    sys.exit(1)


def parse_history(
    args: Sequence[str], environ: Mapping[str, str] = os.environ
) -> HistoryCall | None:
    """The `history` call `args` plainly ask for, or None: leave them to typer."""
    if environ.get(COMPLETION_ENV):
        return None
    try:
        global_values, rest = read_options(args, GLOBAL_OPTIONS, interspersed=False)
        if not rest or rest[0] != HISTORY:
            return None
        values, arguments = read_options(rest[1:], HISTORY_OPTIONS, interspersed=True)
        if len(arguments) != 1:
            return None
        return HistoryCall(
            db=_path(global_values.get("--db") or environ.get(DB_ENV) or None),
            profile_id=arguments[0],
            metric=values.get("--metric"),
            since=values.get("--since"),
            until=values.get("--until"),
            every=_choice(Every, values.get("--every")),
            format=_choice(HistoryOutput, values.get("--format")) or HistoryOutput.table,
            output=_path(values.get("--output")),
        )
    except NotPlain:
        return None


def read_options(
    args: Sequence[str], known: Mapping[str, type], *, interspersed: bool
) -> tuple[dict[str, str], list[str]]:
    """The options' values (`--name value` or `--name=value`, as click reads them) and the
    positional arguments. Without `interspersed` the first positional argument ends the
    options: it names a subcommand, and it and what follows are returned as they are."""
    values: dict[str, str] = {}
    arguments: list[str] = []
    tokens = list(args)
    while tokens:
        token = tokens.pop(0)
        if not token.startswith("-"):
            arguments.append(token)
            if not interspersed:
                return values, arguments + tokens
            continue
        name, equals, text = token.partition("=")
        if name not in known or name in values or not (equals or tokens):
            raise NotPlain(token)
        values[name] = _plain(text if equals else tokens.pop(0))
    return values, arguments


def _plain(text: str) -> str:
    if not text or text.startswith("-"):
        raise NotPlain(text)
    return text


def _path(text: str | None) -> Path | None:
    """A path as typer reads one; typer rejects an existing path it cannot read."""
    if text is None:
        return None
    if os.path.exists(text) and not os.access(text, os.R_OK):
        raise NotPlain(text)
    return Path(text)


def _choice(kind: type[Choice], text: str | None) -> Choice | None:
    """One of an enum's values, spelled exactly (typer's choices are case-sensitive)."""
    if text is None:
        return None
    if text not in {member.value for member in kind}:
        raise NotPlain(text)
    return kind(text)
