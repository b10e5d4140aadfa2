"""The `tracker` command line.

Importing this package imports nothing else: `tracker.cli.quick` answers `history`
before typer is imported.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run the CLI as the `tracker` command does (see `tracker.cli.quick.main`)."""
    from tracker.cli.quick import main as run

    return run(argv)


__all__ = ["main"]
