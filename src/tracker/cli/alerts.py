"""`tracker alerts ...`: the channels alerts go to. URLs are only ever printed masked."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel, TypeAdapter

from tracker.alerts.events import AlertTopic
from tracker.alerts.outbox import Digest
from tracker.cli.app import out, state
from tracker.cli.options import TableOrJson
from tracker.store import Store

if TYPE_CHECKING:
    from tracker.alerts.channels import Channel

EXIT_SOME_FAILED = 1
ALL_TOPICS = ",".join(topic.value for topic in AlertTopic)

alerts_app = typer.Typer(
    help="Where alerts go: new papers, metric changes and syncs that keep failing.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@alerts_app.command("add")
def add(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Argument(help="an apprise URL: slack://..., mailto://..., json://host/path")
    ],
    profiles: Annotated[
        list[str] | None,
        typer.Option("--profile", help="only this profile's alerts (repeatable) [default: all]"),
    ] = None,
    on: Annotated[str, typer.Option("--on", help="the events to send, comma-separated")] = (
        ALL_TOPICS
    ),
    digest: Annotated[
        Digest | None,
        typer.Option(help="collect the events of a day or a week (UTC) into one message"),
    ] = None,
) -> None:
    """Send alerts to a channel; prints its id and its URL with the secrets masked."""
    from tracker.alerts.channels import add_channel, parse_topics

    topics = parse_topics(on)
    with Store.open(state(ctx).db_path()) as store:
        added = add_channel(
            store, url, profiles=profiles or [], topics=topics, digest=digest, now=_now()
        )
    out.print(f"alert channel {added.id}: {added.masked_url}", markup=False)


@alerts_app.command("list")
def list_channels(
    ctx: typer.Context,
    format: Annotated[TableOrJson, typer.Option("--format")] = TableOrJson.table,
) -> None:
    """Every channel: masked URL, profiles, events, digest and what its outbox holds."""
    from tracker.alerts.channels import channels
    from tracker.alerts.outbox import last_errors, status_counts

    db_path = state(ctx).db_path()
    if not db_path.exists():
        out.print("No alert channels: add one with `tracker alerts add URL`.")
        return
    with Store.open(db_path, read_only=True) as store:
        known, counts, errors = channels(store), status_counts(store), last_errors(store)
    rows = [
        _row(channel, counts.get(channel.id, Counter()), errors.get(channel.id))
        for channel in known
    ]
    if format is TableOrJson.json:
        payload = TypeAdapter(list[ChannelRow]).dump_json(rows, indent=2).decode()
        out.print(payload, markup=False, highlight=False)
    elif not rows:
        out.print("No alert channels: add one with `tracker alerts add URL`.")
    else:
        out.print("\n".join(line for row in rows for line in _describe(row)), markup=False)


@alerts_app.command("remove")
def remove(
    ctx: typer.Context,
    channel_id: Annotated[int, typer.Argument(metavar="ID")],
) -> None:
    """Stop sending to a channel (what its outbox still held is dropped)."""
    from tracker.alerts.channels import remove_channel

    with Store.open(state(ctx).db_path()) as store:
        removed = remove_channel(store, channel_id)
    out.print(f"removed alert channel {removed.id}: {removed.masked_url}", markup=False)


@alerts_app.command("test")
def test(
    ctx: typer.Context,
    channel_id: Annotated[int | None, typer.Argument(metavar="[ID]")] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="seconds to wait for each")] = 30.0,
) -> int:
    """Send a test message now to one channel or to all; exits 1 if any failed."""
    from tracker.alerts.deliver import send_test
    from tracker.errors import UserInputError

    with Store.open(state(ctx).db_path()) as store:
        results = send_test(store, channel_id, now=_now(), timeout=timeout)
    if not results:
        raise UserInputError("no alert channels", hint="add one with `tracker alerts add URL`")
    for channel, outcome in results:
        verdict = "ok" if outcome.ok else f"failed: {outcome.error}"
        out.print(f"alert channel {channel.id} ({channel.masked_url}): {verdict}", markup=False)
    return 0 if all(outcome.ok for _, outcome in results) else EXIT_SOME_FAILED


class ChannelRow(BaseModel):
    """One channel as `alerts list` shows it; the URL is masked."""

    id: int
    url: str
    profiles: list[str]
    events: list[str]
    digest: str | None
    pending: int
    sent: int
    failed: int
    gave_up: int
    last_error: str | None


def _row(channel: Channel, counts: Counter[str], last_error: str | None) -> ChannelRow:
    return ChannelRow(
        id=channel.id,
        url=channel.masked_url,
        profiles=list(channel.profiles),
        events=[topic.value for topic in channel.topics],
        digest=channel.digest.value if channel.digest else None,
        pending=counts["pending"] + counts["sending"],
        sent=counts["sent"],
        failed=counts["failed"],
        gave_up=counts["gave_up"],
        last_error=last_error,
    )


def _describe(row: ChannelRow) -> list[str]:
    """A channel in a few lines: its masked URL whole, then what it gets and how it went."""
    digest = f"{row.digest} digest" if row.digest else "one message per event"
    lines = [
        f"{row.id}  {row.url}",
        f"   profiles: {', '.join(row.profiles) or 'all'}; events: {', '.join(row.events)}; "
        f"{digest}",
        f"   pending {row.pending}, sent {row.sent}, failed {row.failed}, gave up {row.gave_up}",
    ]
    if row.last_error:
        lines.append(f"   last error: {row.last_error}")
    return lines


def _now() -> datetime:
    return datetime.now(UTC)
