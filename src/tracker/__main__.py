"""`python -m tracker`: the same as the `tracker` command."""

from tracker.cli.app import entry_point

entry_point()
