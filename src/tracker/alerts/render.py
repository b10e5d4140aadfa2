"""Alert messages from typed events: plain text, Markdown, HTML and structured JSON.

Every message is first built as lines of styled spans, then written out in each format, so
the formats say the same thing. Text from pages is data: each format escapes it, and only
http(s) links become links.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import quote

from tracker.alerts.events import AlertEvent, AlertKind
from tracker.metrics import format_delta, format_number, metric_label


class Format(StrEnum):
    """The body formats apprise knows (the same strings as apprise's NotifyFormat)."""

    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"


class Level(StrEnum):
    """How a message is flagged (the same strings as apprise's NotifyType)."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"


@dataclass(frozen=True)
class Span:
    text: str
    style: Literal["plain", "bold", "italic"] = "plain"
    href: str | None = None


Line = tuple[Span, ...]


@dataclass(frozen=True)
class Message:
    """One message, ready in every format; `data` is the JSON a webhook receives."""

    title: str
    lines: tuple[Line, ...]
    data: dict[str, Any]
    level: Level = Level.INFO

    def body(self, format: Format) -> str:
        return render_lines(self.lines, format)

    def title_in(self, format: Format) -> str:
        return render_lines(((Span(self.title),),), format)

    @property
    def text(self) -> str:
        return self.body(Format.TEXT)

    @property
    def markdown(self) -> str:
        return self.body(Format.MARKDOWN)

    @property
    def html(self) -> str:
        return self.body(Format.HTML)


def render_event(event: AlertEvent) -> Message:
    return Message(
        title=_title(event),
        lines=(headline(event), *_details(event)),
        data=event.model_dump(mode="json"),
        level=_level(event),
    )


def render_digest(events: Sequence[AlertEvent], *, digest: str, period_end: datetime) -> Message:
    """Several events in one message: a line each, oldest first."""
    ordered = sorted(events, key=lambda event: (event.occurred_at, event.id))
    noun = "update" if len(ordered) == 1 else "updates"
    title = f"tracker {digest} digest: {len(ordered)} {noun} until {period_end:%Y-%m-%d %H:%M} UTC"
    ids = sorted(event.id for event in ordered)
    return Message(
        title=title,
        lines=tuple((Span("• "), *headline(event)) for event in ordered),
        data={
            "id": hashlib.sha256(",".join(ids).encode()).hexdigest()[:32],
            "kind": "digest",
            "digest": digest,
            "period_end": period_end.isoformat(),
            "events": [event.model_dump(mode="json") for event in ordered],
        },
        level=Level.WARNING if any(_level(e) is Level.WARNING for e in ordered) else Level.INFO,
    )


def trial_message(channel_id: int, now: datetime) -> Message:
    return Message(
        title="tracker: test alert",
        lines=(
            (Span(f"This is a test alert to channel {channel_id}, sent {now:%Y-%m-%d %H:%M}."),),
        ),
        data={"id": f"test-{channel_id}-{now:%Y%m%dT%H%M%S}", "kind": "test"},
    )


def headline(event: AlertEvent) -> Line:
    """The event in one line, led by the researcher."""
    who = Span(event.profile.label, "bold")
    if event.kind is AlertKind.NEW_PAPER and event.paper:
        return (who, Span(": new paper “"), Span(event.paper.title, "italic"), Span("”"))
    if event.kind is AlertKind.METRIC_CHANGED and event.metric:
        return (who, Span(f": {metric_line(event)}"))
    if event.kind is AlertKind.NEEDS_ATTENTION:
        return (who, Span(f" needs attention: {_trouble(event)}"))
    return (who, Span(f" recovered: syncing works again{_streak_end(event)}"))


def metric_line(event: AlertEvent) -> str:
    """`citations 754 → 790 (+36)`."""
    assert event.metric is not None
    metric = event.metric
    text = f"{metric_label(metric.name)} {format_number(metric.old)} → {format_number(metric.new)}"
    return f"{text} ({format_delta(metric.delta)})" if metric.delta is not None else text


def render_lines(lines: Sequence[Line], format: Format) -> str:
    write = {Format.TEXT: _text, Format.MARKDOWN: _markdown, Format.HTML: _html}[format]
    joiner = "<br>\n" if format is Format.HTML else "\n"
    return joiner.join("".join(write(span) for span in line) for line in lines if line)


def _title(event: AlertEvent) -> str:
    who = event.profile.name or event.profile.id
    if event.kind is AlertKind.NEW_PAPER and event.paper:
        return f"New paper by {who}: {event.paper.title}"
    if event.kind is AlertKind.METRIC_CHANGED and event.metric:
        return f"{who}: {metric_line(event)}"
    if event.kind is AlertKind.NEEDS_ATTENTION:
        return f"{who} needs attention"
    return f"{who} recovered"


def _details(event: AlertEvent) -> list[Line]:
    lines: list[Line] = []
    if event.kind is AlertKind.NEW_PAPER and event.paper:
        paper = event.paper
        if paper.authors:
            authors = ", ".join(paper.authors) + (" et al." if paper.authors_truncated else "")
            lines.append((Span(authors),))
        when = paper.published or paper.year
        about = [str(part) for part in (when, paper.category or paper.venue) if part]
        if about:
            lines.append((Span(" · ".join(about)),))
        links = [
            Span(label, href=url)
            for label, url in (("paper", paper.url), ("code", paper.code_url))
            if _linkable(url)
        ]
        if links:
            lines.append(_joined(links, " · "))
    elif event.kind is AlertKind.NEEDS_ATTENTION and event.attention and event.attention.reason:
        lines.append((Span(f"last error: {event.attention.reason}"),))
    if event.kind is not AlertKind.NEW_PAPER and _linkable(event.profile.url):
        lines.append((Span("profile", href=event.profile.url),))
    return lines


def _trouble(event: AlertEvent) -> str:
    streak = event.attention
    if streak is None:
        return "syncs keep failing"
    since = f"since {streak.since:%Y-%m-%d %H:%M} UTC"
    if streak.status == "layout_changed":
        return f"the page layout changed ({since})"
    failures = (
        "1 sync failed" if streak.failures == 1 else f"{streak.failures} syncs in a row failed"
    )
    return f"{failures} ({since})"


def _streak_end(event: AlertEvent) -> str:
    streak = event.attention
    if streak is None:
        return ""
    failed = "1 failed sync" if streak.failures == 1 else f"{streak.failures} failed syncs"
    return f" after {failed} since {streak.since:%Y-%m-%d %H:%M} UTC"


def _level(event: AlertEvent) -> Level:
    if event.kind is AlertKind.NEEDS_ATTENTION:
        return Level.WARNING
    return Level.SUCCESS if event.kind is AlertKind.RECOVERED else Level.INFO


def _joined(spans: list[Span], separator: str) -> Line:
    line: list[Span] = []
    for span in spans:
        if line:
            line.append(Span(separator))
        line.append(span)
    return tuple(line)


def _linkable(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


def _text(span: Span) -> str:
    return f"{span.text}: {span.href}" if span.href else span.text


MARKDOWN_SPECIAL = "\\`*_[]<>#|~"


def _markdown(span: Span) -> str:
    text = "".join("\\" + char if char in MARKDOWN_SPECIAL else char for char in span.text)
    if span.href:
        return f"[{text}]({quote(span.href, safe=':/?#@!$&=+,;%~.-_')})"
    if span.style == "bold":
        return f"**{text}**"
    return f"_{text}_" if span.style == "italic" else text


def _html(span: Span) -> str:
    text = html.escape(span.text)
    if span.href:
        return f'<a href="{html.escape(span.href)}">{text}</a>'
    if span.style == "bold":
        return f"<b>{text}</b>"
    return f"<i>{text}</i>" if span.style == "italic" else text
