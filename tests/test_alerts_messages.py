"""Alert events, their ids and messages, digest periods and masked channel URLs: pure tables."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from records_factory import FETCHED_AT, paper, record
from tracker.alerts.channels import Channel, mask_url, scrub, secret_parts
from tracker.alerts.events import (
    AlertEvent,
    AlertKind,
    AttentionInfo,
    ProfileRef,
    change_events,
    event_id,
    needs_attention_event,
)
from tracker.alerts.outbox import Digest, period_end
from tracker.alerts.render import Format, render_digest, render_event
from tracker.changes import diff

ADA = ProfileRef(id="ada", name="Ada Lovelace", url="https://example.org/p/ada")
XSS = "<img src=x onerror=alert(1)>"


def events_between(before: object, after: object) -> list[AlertEvent]:
    return change_events(ADA, diff(before, after), FETCHED_AT)  # type: ignore[arg-type]


def new_paper_event(**fields: object) -> AlertEvent:
    values: dict[str, object] = {
        "title": "Typed Snapshots",
        "url": "https://arxiv.org/abs/2601.00001",
        "code_url": "https://github.com/ada/snapshots",
        "authors_truncated": True,
    }
    before = record(papers=2)
    after = before.model_copy(update={"papers": [*before.papers, paper(3, **(values | fields))]})
    [event] = events_between(before, after)
    return event


def test_event_ids_depend_only_on_profile_kind_and_what_changed() -> None:
    same = event_id("ada", AlertKind.NEW_PAPER, "arxiv:1")
    assert same == event_id("ada", AlertKind.NEW_PAPER, "arxiv:1")
    others = {
        event_id("alan", AlertKind.NEW_PAPER, "arxiv:1"),
        event_id("ada", AlertKind.NEW_PAPER, "arxiv:2"),
        event_id("ada", AlertKind.METRIC_CHANGED, "citations", 754, 790),
        event_id("ada", AlertKind.METRIC_CHANGED, "citations", 790, 754),
        event_id("ada", AlertKind.NEEDS_ATTENTION, 7),
        event_id("ada", AlertKind.RECOVERED, 7),
    }
    assert same not in others and len(others) == 6
    # The same change found again later (a re-sync, a re-parse) is the same event.
    assert [e.id for e in events_between(record(citations=754), record(citations=790))] == [
        e.id for e in events_between(record(citations=754), record(citations=790))
    ]


def test_only_new_papers_and_metric_changes_raise_alerts() -> None:
    before = record(papers=3, citations=754)
    after = before.model_copy(
        update={
            "metrics": {**before.metrics, "citations": 790},
            "papers": [paper(1, abstract="edited"), paper(2), paper(4)],  # 3 removed, 4 new
        }
    )
    kinds = [
        (e.kind, e.metric.name if e.metric else e.paper and e.paper.key)
        for e in events_between(before, after)
    ]
    assert kinds == [
        (AlertKind.METRIC_CHANGED, "citations"),
        (AlertKind.NEW_PAPER, paper(4).key),
    ]


@pytest.mark.parametrize(
    ("format", "expected"),
    [
        (
            Format.TEXT,
            [
                "Ada Lovelace (ada): new paper “Typed Snapshots”",
                "Ada Lovelace, Alan Turing et al.",
                "2024-01-03 · LG",
                "paper: https://arxiv.org/abs/2601.00001 · code: https://github.com/ada/snapshots",
            ],
        ),
        (
            Format.MARKDOWN,
            [
                "**Ada Lovelace (ada)**: new paper “_Typed Snapshots_”",
                "[paper](https://arxiv.org/abs/2601.00001) · [code](https://github.com/ada/snapshots)",
            ],
        ),
        (
            Format.HTML,
            [
                "<b>Ada Lovelace (ada)</b>: new paper “<i>Typed Snapshots</i>”<br>",
                '<a href="https://github.com/ada/snapshots">code</a>',
            ],
        ),
    ],
)
def test_a_new_paper_message_says_who_what_when_and_where(
    format: Format, expected: list[str]
) -> None:
    body = render_event(new_paper_event()).body(format)
    for text in expected:
        assert text in body


@pytest.mark.parametrize(
    ("format", "escaped"),
    [
        (Format.HTML, "&lt;img src=x onerror=alert(1)&gt;"),
        (Format.MARKDOWN, "\\<img src=x onerror=alert(1)\\>"),
        (Format.TEXT, XSS),
    ],
)
def test_page_text_is_data_in_every_format(format: Format, escaped: str) -> None:
    message = render_event(new_paper_event(title=XSS, code_url="javascript:alert(1)"))
    assert escaped in message.body(format) and escaped in message.title_in(format)
    assert "javascript:" not in message.body(format)
    if format is not Format.TEXT:
        assert XSS not in message.body(format)


def test_a_metric_message_and_its_json() -> None:
    [event] = events_between(record(citations=754), record(citations=790))
    message = render_event(event)
    assert message.title == "Ada Lovelace: citations 754 → 790 (+36)"
    assert message.text.startswith("Ada Lovelace (ada): citations 754 → 790 (+36)")
    payload = json.loads(json.dumps(message.data))
    assert payload["id"] == event.id and payload["kind"] == "metric_changed"
    assert payload["metric"] == {"name": "citations", "old": 754, "new": 790, "delta": 36}
    assert payload["profile"]["id"] == "ada"


def test_needs_attention_and_digest_messages() -> None:
    trouble = needs_attention_event(
        ADA,
        streak=AttentionInfo(
            since=datetime(2026, 3, 2, 7, tzinfo=UTC), failures=2, status="failed", reason="503"
        ),
        occurred_at=datetime(2026, 3, 3, 7, tzinfo=UTC),
    )
    assert render_event(trouble).text.splitlines()[:2] == [
        "Ada Lovelace (ada) needs attention: 2 syncs in a row failed (since 2026-03-02 07:00 UTC)",
        "last error: 503",
    ]
    paper_event = new_paper_event()
    digest = render_digest(
        [trouble, paper_event], digest="daily", period_end=datetime(2026, 3, 4, tzinfo=UTC)
    )
    assert digest.title == "tracker daily digest: 2 updates until 2026-03-04 00:00 UTC"
    assert digest.text.splitlines() == [
        "• Ada Lovelace (ada): new paper “Typed Snapshots”",
        "• Ada Lovelace (ada) needs attention: 2 syncs in a row failed"
        " (since 2026-03-02 07:00 UTC)",
    ]
    assert [event["id"] for event in digest.data["events"]] == [paper_event.id, trouble.id]
    again = render_digest([paper_event, trouble], digest="daily", period_end=datetime(2026, 3, 4))
    assert again.data["id"] == digest.data["id"]


@pytest.mark.parametrize(
    ("digest", "moment", "end"),
    [
        (Digest.DAILY, datetime(2026, 3, 2, 23, 59, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)),
        (Digest.DAILY, datetime(2026, 3, 3, 0, 0, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC)),
        (Digest.WEEKLY, datetime(2026, 3, 2, 0, 0, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)),
        (Digest.WEEKLY, datetime(2026, 3, 8, 23, 0, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)),
    ],
    ids=["daily-late", "daily-midnight", "weekly-monday", "weekly-sunday"],
)
def test_digest_periods_end_at_utc_midnight_or_monday(
    digest: Digest, moment: datetime, end: datetime
) -> None:
    assert date(2026, 3, 2).weekday() == 0  # a Monday
    assert period_end(digest, moment) == end


@pytest.mark.parametrize(
    ("url", "secrets", "shown"),
    [
        (
            "json://bob:Pa55word@127.0.0.1:8080/hook?+X-Token=hdr-s3cret",
            ["Pa55word", "hdr-s3cret"],
            "json://bob:****@127.0.0.1:8080/hook?%2BX-Token=****",
        ),
        (
            "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
            ["T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"],
            "slack://T...2/A...D/T...Q/",
        ),
        (
            "tgram://123456789:ABCdefGhIJKlmnOPQRstuVWXyz/987654321",
            ["ABCdefGhIJKlmnOPQRstuVWXyz"],
            "tgram://1...z/987654321/",
        ),
        (
            "ntfys://ntfy.sh/alerts?token=tk_abcdef123456",
            ["tk_abcdef123456"],
            "ntfys://t...6@ntfy.sh/alerts",
        ),
        (
            "jsons://hooks.example.org/catch/T0k3nInPath",
            ["T0k3nInPath"],
            "jsons://hooks.example.org/catch/T...h",
        ),
        ("mailtos://user:mailpass@gmail.com", ["mailpass"], "mailtos://user:****@gmail.com/"),
    ],
    ids=["json", "slack", "telegram", "ntfy", "webhook-path", "email"],
)
def test_channel_urls_are_shown_masked_and_their_secrets_scrubbed(
    url: str, secrets: list[str], shown: str
) -> None:
    masked = mask_url(url)
    assert masked.startswith(shown)
    assert set(secrets) <= secret_parts(url)
    for secret in secrets:
        assert secret not in masked
        assert secret not in scrub(f"error posting to {url}", secret_parts(url))


def test_a_url_apprise_no_longer_knows_is_still_masked() -> None:
    gone = Channel(id=1, url="retired://bob:Pa55word@host/T0k3n", topics=(), created_at=FETCHED_AT)
    assert gone.masked_url == "retired://****"
    assert gone.scrub("posting to retired://bob:Pa55word@host/T0k3n failed") == (
        "posting to retired://bob:****@host/**** failed"
    )
