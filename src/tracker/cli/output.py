"""Where the CLI prints, and the one-line form of every expected error.

Shared by the typer app (`tracker.cli.app`) and the lean path (`tracker.cli.quick`), so
both print alike; it imports rich, not typer.
"""

from __future__ import annotations

from rich.console import Console

from tracker.errors import TrackerError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130

# No emoji codes: an error that echoes an id such as ":smile:" shows it as typed. (Leaving
# them off also spares importing rich's table of emoji, ~25 ms of a start without bytecode.)
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def report_error(error: TrackerError) -> int:
    """`tracker: error: message (hint)` on stderr; the exit code."""
    return report_usage(error.one_line())


def report_usage(message: str) -> int:
    """`tracker: error: message` on stderr; the exit code of bad input."""
    err.print(f"tracker: error: {message}", markup=False)
    return EXIT_USER_ERROR


def report_interrupted() -> int:
    err.print("tracker: interrupted")
    return EXIT_INTERRUPTED
