"""The `tracker` command line."""

from tracker.cli.app import main

__all__ = ["main"]
