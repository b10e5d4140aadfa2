"""`python -m tracker`: the same as the `tracker` command, without importing typer for
`history` (see `tracker.cli.quick`)."""

from tracker.cli.quick import entry_point

entry_point()
