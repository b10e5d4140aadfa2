"""The typer app, its global options, and the one place errors become exit codes.

Commands that only read never import Prefect, so they answer at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

# typer vendors click; its usage errors are only reachable here.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from tracker.errors import TrackerError
from tracker.settings import Settings

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="tracker",
    help="Follow researchers' public profiles over time: sync, history, changes, reports.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CliState:
    """Options every command shares, set by the global callback."""

    def __init__(self, db: Path | None) -> None:
        self.db = db

    def settings(self) -> Settings:
        try:
            return Settings(db=self.db) if self.db else Settings()
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise TrackerError(
                f"bad setting {where}: {first['msg']}",
                hint="check the TRACKER_* environment variables and tracker.toml",
            ) from None


@app.callback()
def global_options(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db", envvar="TRACKER_DB", help="the DuckDB file [default: storage/tracker.duckdb]"
        ),
    ] = None,
) -> None:
    ctx.obj = CliState(db)


def state(ctx: typer.Context) -> CliState:
    assert isinstance(ctx.obj, CliState)
    return ctx.obj


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every expected error is one line on stderr and an exit code."""
    from tracker.cli import commands  # noqa: F401  (registers the commands)

    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="tracker", standalone_mode=False)
    except TrackerError as error:
        err.print(f"tracker: error: {error.one_line()}", markup=False)
        return EXIT_USER_ERROR
    except NoArgsIsHelpError as error:
        out.print(error.ctx.get_help() if error.ctx else "", markup=False)
        return 0
    except UsageError as error:
        hint = f" (see `{error.ctx.command_path} --help`)" if error.ctx else ""
        err.print(f"tracker: error: {error.format_message()}{hint}", markup=False)
        return EXIT_USER_ERROR
    except ClickException as error:
        err.print(f"tracker: error: {error.format_message()}", markup=False)
        return EXIT_USER_ERROR
    except (typer.Abort, KeyboardInterrupt):
        err.print("tracker: interrupted")
        return EXIT_INTERRUPTED
    except typer.Exit as stop:
        return stop.exit_code
    return result if isinstance(result, int) else 0


def entry_point() -> None:
    sys.exit(main())
