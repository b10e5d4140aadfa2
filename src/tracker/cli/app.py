"""The typer app, its global options, and the one place errors become exit codes.

Commands that only read never import Prefect, so they answer at once; `tracker history`
is answered before this module (and typer) is imported, by `tracker.cli.quick`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# typer vendors click; its usage errors are only reachable here.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from tracker.cli.output import err, out, report_error, report_interrupted, report_usage
from tracker.cli.state import CliState
from tracker.errors import TrackerError
from tracker.locations import DB_ENV

# The commands print through `out` and `err`, imported from here.
__all__ = ["app", "err", "main", "out", "state"]

app = typer.Typer(
    name="tracker",
    help="Follow researchers' public profiles over time: sync, history, changes, reports.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def global_options(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db", envvar=DB_ENV, help="the DuckDB file [default: storage/tracker.duckdb]"
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
        return report_error(error)
    except NoArgsIsHelpError as error:
        out.print(error.ctx.get_help() if error.ctx else "", markup=False)
        return 0
    except UsageError as error:
        hint = f" (see `{error.ctx.command_path} --help`)" if error.ctx else ""
        return report_usage(f"{error.format_message()}{hint}")
    except ClickException as error:
        return report_usage(error.format_message())
    except (typer.Abort, KeyboardInterrupt):
        return report_interrupted()
    except typer.Exit as stop:
        return stop.exit_code
    return result if isinstance(result, int) else 0
