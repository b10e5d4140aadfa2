"""Alert channels: one apprise URL each, which profiles and topics it wants, and a digest.

A channel URL holds secrets (tokens, passwords), so it is shown only through `mask_url`
(apprise's own privacy mode, plus header and webhook-path values masked) and any text that
may quote it goes through `scrub` first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from tracker.alerts.events import AlertTopic
from tracker.alerts.outbox import Digest
from tracker.errors import UserInputError
from tracker.store import Store
from tracker.store.database import from_db_time, to_db_time

if TYPE_CHECKING:
    from apprise import NotifyBase

SERVICES_HINT = "see https://appriseit.com/services/ for the URL of each service"
# apprise's generic webhooks: tokens often live in their path, which apprise shows.
WEBHOOK_SCHEMAS = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})
MASK = "****"
GENERIC_URL = "json://localhost"  # any service, to learn apprise's generic defaults
_TOKEN_SPLIT = re.compile(r"[/:@?&=#,;+\s]+")


class Channel(BaseModel):
    model_config = ConfigDict(frozen=True, ignored_types=(cached_property,))

    id: int
    url: str = Field(repr=False, exclude=True)
    profiles: tuple[str, ...] = ()
    topics: tuple[AlertTopic, ...]
    digest: Digest | None = None
    created_at: datetime

    @cached_property
    def masked_url(self) -> str:
        try:
            return mask_url(self.url)
        except UserInputError:  # apprise no longer knows the service: show only its scheme
            return f"{urlsplit(self.url).scheme}://{MASK}"

    @cached_property
    def secrets(self) -> frozenset[str]:
        try:
            return secret_parts(self.url)
        except UserInputError:
            return secret_parts_of_raw(self.url)

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets)


def add_channel(
    store: Store,
    url: str,
    *,
    profiles: Sequence[str] = (),
    topics: Sequence[AlertTopic] = tuple(AlertTopic),
    digest: Digest | None = None,
    now: datetime,
) -> Channel:
    """Check that apprise understands `url` and the profiles exist, then store the channel."""
    load_plugin(url)
    for profile_id in profiles:
        store.profile(profile_id)
    if not topics:
        raise UserInputError("a channel needs at least one event to be sent", hint=_ON_HINT)
    with store.transaction() as con:
        row = con.execute("SELECT id FROM alert_channels WHERE url = ?", [url]).fetchone()
        if row:
            raise UserInputError(f"this URL is alert channel {row[0]} already")
        [(channel_id,)] = con.execute(
            "INSERT INTO alert_channels VALUES (nextval('alert_channel_id_seq'), ?, ?, ?, ?, ?) "
            "RETURNING id",
            [
                url,
                list(dict.fromkeys(profiles)),
                [topic.value for topic in dict.fromkeys(topics)],
                digest and digest.value,
                to_db_time(now),
            ],
        ).fetchall()
    return channel(store, channel_id)


def channels(store: Store) -> list[Channel]:
    rows = store.query(
        "SELECT id, url, profiles, topics, digest, created_at FROM alert_channels ORDER BY id"
    )
    return [
        Channel(
            id=channel_id,
            url=url,
            profiles=tuple(profiles),
            topics=tuple(AlertTopic(topic) for topic in topics),
            digest=Digest(digest) if digest else None,
            created_at=from_db_time(created_at),
        )
        for channel_id, url, profiles, topics, digest, created_at in rows
    ]


def channel(store: Store, channel_id: int) -> Channel:
    for candidate in channels(store):
        if candidate.id == channel_id:
            return candidate
    raise UserInputError(
        f"no alert channel with id {channel_id}", hint="`tracker alerts list` shows the ids"
    )


def remove_channel(store: Store, channel_id: int) -> Channel:
    """Delete a channel and what its outbox still held for it."""
    removed = channel(store, channel_id)
    with store.transaction() as con:
        con.execute("DELETE FROM alert_outbox WHERE channel_id = ?", [channel_id])
        con.execute("DELETE FROM alert_channels WHERE id = ?", [channel_id])
    return removed


def parse_topics(text: str) -> list[AlertTopic]:
    """`new_paper,metric_changed` → topics; an unknown name is a UserInputError."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = {topic.value for topic in AlertTopic}
    for name in names:
        if name not in known:
            raise UserInputError(f"--on: unknown event {name!r}", hint=_ON_HINT)
    return [AlertTopic(name) for name in names]


_ON_HINT = f"use a comma-separated list of {', '.join(topic.value for topic in AlertTopic)}"


def load_plugin(url: str, *, payload: dict[str, Any] | None = None) -> NotifyBase:
    """The apprise service for `url` (with JSON `payload` extras for a JSON webhook)."""
    import apprise
    from apprise.plugins import url_to_dict

    with scrubbed_apprise_logs(secret_parts_of_raw(url)):
        details = url_to_dict(url)  # type: ignore[no-untyped-call]
        if details is not None and payload and details.get("schema") in ("json", "jsons"):
            details["payload"] = {**details.get("payload", {}), **payload}
        plugin = apprise.Apprise.instantiate(details) if details is not None else None
    if plugin is None:
        scheme = url.split("://", 1)[0] if "://" in url else ""
        what = f"a {scheme}:// URL" if re.fullmatch(r"[a-zA-Z][\w+.-]{0,20}", scheme) else "it"
        raise UserInputError(
            f"apprise cannot send to this URL: it does not understand {what}", hint=SERVICES_HINT
        )
    return plugin


def mask_url(url: str) -> str:
    """The URL as apprise shows it in privacy mode, with header values and webhook paths
    masked too."""
    parts = urlsplit(_private_url(url))
    defaults = _default_parameters(url)
    query = [
        (key, MASK if key[:1] in "+-" else value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if (key, value) not in defaults
    ]
    path = parts.path
    if parts.scheme in WEBHOOK_SCHEMAS:
        path = "/".join(_partly(unquote(segment)) for segment in path.split("/"))
    return urlunsplit(
        (parts.scheme, parts.netloc, quote(path, safe="/%*."), urlencode(query, safe="*"), "")
    )


def _private_url(url: str) -> str:
    private: str = load_plugin(url).url(privacy=True)  # type: ignore[no-untyped-call]
    return private


def _default_parameters(url: str) -> set[tuple[str, str]]:
    """The parameters apprise shows at their defaults (for any service, and for this one
    when its URL sets none): noise."""
    parts = urlsplit(url)
    defaults = set()
    for bare in (GENERIC_URL, urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))):
        try:
            query = urlsplit(_private_url(bare)).query
        except UserInputError:  # the service needs some of its parameters
            continue
        defaults |= set(parse_qsl(query, keep_blank_values=True))
    return defaults


def secret_parts(url: str) -> frozenset[str]:
    """The pieces of `url` that its masked form hides: what `scrub` takes out of any text."""
    visible = {*_tokens(mask_url(url)), urlsplit(url).scheme}
    return frozenset(token for token in _tokens(url) if token not in visible)


def secret_parts_of_raw(url: str) -> frozenset[str]:
    """Before apprise has parsed a URL: its userinfo, path and query values, to be safe."""
    parts = urlsplit(url) if "://" in url else None
    if parts is None:
        return frozenset(_tokens(url))
    candidates = [parts.password or "", parts.username or "", parts.path, parts.query]
    return frozenset(token for text in candidates for token in _tokens(text))


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK).replace(quote(secret, safe=""), MASK)
    return text


@contextmanager
def scrubbed_apprise_logs(secrets: Iterable[str]) -> Iterator[None]:
    """Scrub `secrets` out of everything apprise logs meanwhile (it may quote a URL)."""
    scrubber = _Scrubber(frozenset(secrets))
    logger = logging.getLogger("apprise")
    logger.addFilter(scrubber)
    try:
        yield
    finally:
        logger.removeFilter(scrubber)


class _Scrubber(logging.Filter):
    def __init__(self, secrets: frozenset[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = scrub(record.getMessage(), self.secrets)
            record.args = None
        return True


def _tokens(text: str) -> Iterator[str]:
    for token in _TOKEN_SPLIT.split(unquote(text)):
        if len(token) >= 4:
            yield token


def _partly(segment: str) -> str:
    """Mask a path segment long enough to be a token, keeping its ends as apprise does."""
    return f"{segment[0]}...{segment[-1]}" if len(segment) >= 8 else segment
