"""Alerts end to end without Prefect: real syncs into a real DuckDB file, delivered through
apprise to a real webhook receiver and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alert_receivers import HANG, SmtpReceiver, WebhookReceiver
from records_factory import FETCHED_AT, paper, record
from tracker.alerts.channels import add_channel
from tracker.alerts.deliver import DeliveryReport, deliver_pending
from tracker.alerts.events import AlertTopic
from tracker.alerts.outbox import Digest, RetryPolicy
from tracker.archive import Archive
from tracker.demo_page import render_profile_html
from tracker.fetch import Fetcher
from tracker.pageserver import PageServer, Response
from tracker.records import ProfileRecord
from tracker.reparse import reparse_profile
from tracker.settings import FetchSettings
from tracker.store import FetchStatus, Profile, Store
from tracker.sync import Syncer

XSS = "<img src=x onerror=alert(1)>"


def with_new_paper(snapshot: ProfileRecord, **fields: Any) -> ProfileRecord:
    return snapshot.model_copy(update={"papers": [*snapshot.papers, paper(6, **fields)]})


class Rig:
    """One profile on a local page server, synced into a real store on a clock we move."""

    def __init__(self, store: Store, syncer: Syncer, pages: PageServer, tmp_path: Path) -> None:
        self.store, self.syncer, self.pages, self.tmp_path = store, syncer, pages, tmp_path
        self.now = FETCHED_AT

    def clock(self) -> datetime:
        return self.now

    def serve(
        self,
        snapshot: ProfileRecord | None,
        *,
        status: int = 200,
        etag: str | None = None,
        path: str = "/p/ada",
    ) -> None:
        body = render_profile_html(snapshot).encode() if snapshot else b"down"
        self.pages.set(path, Response(status=status, body=body, etag=etag))

    def sync(self, profile_id: str = "ada", *, later: timedelta = timedelta(days=1)) -> FetchStatus:
        self.now += later
        return self.syncer.sync(self.store.start_run(self.now), profile_id).status

    def deliver(self, **options: Any) -> DeliveryReport:
        return deliver_pending(self.store, now=self.now, **options)

    def channel(self, url: str, **options: Any) -> int:
        return add_channel(self.store, url, now=self.now, **options).id

    def outbox(self) -> list[tuple[Any, ...]]:
        return self.store.query(
            "SELECT channel_id, status, attempts, last_error FROM alert_outbox ORDER BY ALL"
        )


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def rig(tmp_path: Path, page_server: PageServer, fetch_settings: FetchSettings) -> Iterator[Rig]:
    with Store.open(tmp_path / "alerts.duckdb") as store, Fetcher(fetch_settings) as fetcher:
        store.add_profile(
            Profile(
                id="ada", url=page_server.url("/p/ada"), source="profile_page", added_at=FETCHED_AT
            )
        )
        rig = Rig(store, None, page_server, tmp_path)  # type: ignore[arg-type]
        rig.syncer = Syncer(store, fetcher, Archive(tmp_path / "archive"), rig.clock)
        yield rig


def kinds(receiver: WebhookReceiver) -> list[str]:
    return [post["kind"] for post in receiver.delivered()]


def test_a_new_paper_is_one_alert_per_channel_and_never_again(
    rig: Rig, webhook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    rig.channel(webhook.url())
    rig.channel(smtp.url(), topics=[AlertTopic.NEW_PAPER])
    rig.channel(webhook.url("/failures"), topics=[AlertTopic.SYNC_FAILED])

    rig.serve(record(papers=5))
    assert rig.sync() is FetchStatus.BASELINE
    assert rig.deliver() == DeliveryReport()  # the papers already there are not news
    assert webhook.posts == [] and smtp.messages == []

    rig.serve(with_new_paper(record(papers=5), title=XSS))
    assert rig.sync() is FetchStatus.CHANGED
    assert rig.deliver() == DeliveryReport(sent=2)
    [post] = webhook.delivered()
    assert (post["kind"], post["paper"]["title"], post["profile"]["id"]) == (
        "new_paper",
        XSS,
        "ada",
    )
    [mail] = smtp.messages
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert mail["subject"] == f"New paper by Ada Lovelace: {XSS}"  # a subject is plain text

    assert rig.sync() is FetchStatus.NOT_MODIFIED  # the same page again
    same_data = render_profile_html(with_new_paper(record(papers=5), title=XSS)).encode()
    rig.pages.set("/p/ada", Response(body=same_data + b"<!-- new bytes -->"))
    assert rig.sync() is FetchStatus.UNCHANGED
    reparse_profile(rig.store, Archive(rig.tmp_path / "archive"), "ada")
    assert rig.deliver() == DeliveryReport()
    assert len(webhook.posts) == 1 and len(smtp.messages) == 1


def test_a_metric_change_says_old_new_and_delta(rig: Rig, webhook: WebhookReceiver) -> None:
    rig.channel(webhook.url())
    rig.serve(record(citations=754))
    rig.sync()
    rig.serve(record(citations=790))
    rig.sync()
    rig.deliver()
    [post] = webhook.delivered()
    assert post["title"] == "Ada Lovelace: citations 754 → 790 (+36)"
    assert post["metric"] == {"name": "citations", "old": 754, "new": 790, "delta": 36}


def test_purging_a_profile_leaves_none_of_its_alerts(rig: Rig, webhook: WebhookReceiver) -> None:
    rig.channel(webhook.url())
    rig.serve(record(citations=754))
    rig.sync()
    rig.serve(None, status=503)
    rig.sync()
    rig.sync()  # two failures: needs attention
    rig.serve(record(citations=790))
    rig.sync()
    assert rig.store.query("SELECT count(*) FROM alert_attention") == [(1,)]

    rig.store.purge_profile("ada")
    tables = ("alert_events", "alert_outbox", "alert_attention", "fetches", "papers", "changes")
    counts = {table: rig.store.query(f"SELECT count(*) FROM {table}")[0][0] for table in tables}
    assert counts == dict.fromkeys(tables, 0)


def test_a_receiver_that_fails_once_gets_the_event_on_the_next_run_once(
    rig: Rig, webhook: WebhookReceiver
) -> None:
    rig.channel(webhook.url())
    rig.serve(record())
    rig.sync()
    rig.serve(with_new_paper(record()))
    rig.sync()
    webhook.script(500)
    assert rig.deliver() == DeliveryReport(failed=1)
    [(_, status, attempts, error)] = rig.outbox()
    assert (status, attempts) == ("failed", 1) and "500" in error
    assert rig.deliver() == DeliveryReport()  # backing off: not before the next try is due

    rig.serve(with_new_paper(record()))
    rig.sync()  # the next run
    assert rig.deliver() == DeliveryReport(sent=1)
    assert rig.deliver() == DeliveryReport()
    assert [post.status for post in webhook.posts] == [500, 200]
    assert len({post.json()["id"] for post in webhook.posts}) == 1


def test_a_hanging_receiver_costs_one_timeout_then_the_next_run_delivers(
    rig: Rig, webhook: WebhookReceiver
) -> None:
    rig.channel(webhook.url())
    rig.serve(record())
    rig.sync()
    rig.serve(with_new_paper(record()))
    rig.sync()
    webhook.script(HANG)
    assert rig.deliver(timeout=0.5) == DeliveryReport(failed=1)
    rig.now += timedelta(days=1)
    assert rig.deliver(timeout=5) == DeliveryReport(sent=1)
    assert [post.status for post in webhook.posts] == [HANG, 200]
    # The hung request may have arrived: the receiver de-duplicates on the stable id.
    assert len({post.json()["id"] for post in webhook.posts}) == 1


def test_a_delivery_that_keeps_failing_is_given_up_visibly(
    rig: Rig, webhook: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    policy = RetryPolicy(max_attempts=3, first_delay=timedelta(hours=1))
    rig.channel(webhook.url())
    rig.serve(record())
    rig.sync()
    rig.serve(with_new_paper(record()))
    rig.sync()
    webhook.script(500, 500, 500, 500)
    reports = []
    for hours in (0, 1, 1, 2, 4):  # the delays double: 1 h, then 2 h
        rig.now += timedelta(hours=hours)
        reports.append(rig.deliver(policy=policy))
    assert reports == [
        DeliveryReport(failed=1),
        DeliveryReport(failed=1),
        DeliveryReport(),  # the second delay is 2 h
        DeliveryReport(gave_up=1),
        DeliveryReport(),
    ]
    [(_, status, attempts, error)] = rig.outbox()
    assert (status, attempts, len(webhook.posts)) == ("gave_up", 3, 3) and "500" in error
    assert "sending failed, gave up" in caplog.text


CRASHING_SYNC = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from tracker.archive import Archive
from tracker.fetch import Fetcher
from tracker.settings import FetchSettings
from tracker.store import Store
from tracker.sync import Syncer

db, archive, moment = Path(sys.argv[1]), Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
store = Store.open(db)
with Fetcher(FetchSettings(politeness_delay=0, retries=0)) as fetcher:
    syncer = Syncer(store, fetcher, Archive(archive), lambda: moment)
    result = syncer.sync(store.start_run(moment), "ada")
print(result.status, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # after the outbox row is committed, before any delivery
"""


def test_a_process_killed_between_recording_and_sending_delivers_on_the_next_run(
    tmp_path: Path, page_server: PageServer, fetch_settings: FetchSettings, webhook: WebhookReceiver
) -> None:
    db = tmp_path / "killed.duckdb"
    with Store.open(db) as store, Fetcher(fetch_settings) as fetcher:
        store.add_profile(
            Profile(
                id="ada", url=page_server.url("/p/ada"), source="profile_page", added_at=FETCHED_AT
            )
        )
        add_channel(store, webhook.url(), now=FETCHED_AT)
        page_server.set("/p/ada", Response(body=render_profile_html(record()).encode()))
        syncer = Syncer(store, fetcher, Archive(tmp_path / "archive"), lambda: FETCHED_AT)
        syncer.sync(store.start_run(FETCHED_AT), "ada")
    new_page = render_profile_html(with_new_paper(record())).encode()
    page_server.set("/p/ada", Response(body=new_page))
    later = FETCHED_AT + timedelta(days=1)
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(CRASHING_SYNC),
            str(db),
            str(tmp_path / "archive"),
            later.isoformat(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert crashed.stdout.strip() == "changed" and webhook.posts == []

    with Store.open(db) as store:  # the next run, in this process
        assert deliver_pending(store, now=later) == DeliveryReport(sent=1)
        assert deliver_pending(store, now=later + timedelta(days=1)) == DeliveryReport()
    assert kinds(webhook) == ["new_paper"]


def test_two_syncs_and_two_deliveries_at_once_send_each_event_once(
    rig: Rig, webhook: WebhookReceiver
) -> None:
    rig.channel(webhook.url())
    rig.serve(record())
    rig.sync()
    rig.serve(with_new_paper(record()))
    rig.now += timedelta(days=1)

    def at_once(work: Any) -> list[Any]:
        start = threading.Barrier(2)
        results: list[Any] = []

        def run() -> None:
            start.wait()
            results.append(work())

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    statuses = at_once(lambda: rig.syncer.sync(rig.store.start_run(rig.now), "ada").status)
    assert sorted(statuses) == [FetchStatus.CHANGED, FetchStatus.UNCHANGED]
    reports = at_once(rig.deliver)
    assert sorted(report.sent for report in reports) == [0, 1]
    assert kinds(webhook) == ["new_paper"]


def test_a_failing_profile_needs_attention_once_per_streak_and_recovers_once(
    rig: Rig, webhook: WebhookReceiver
) -> None:
    rig.channel(webhook.url(), topics=[AlertTopic.SYNC_FAILED])
    healthy = record(papers=5)
    days = [
        (healthy, 200, []),
        (None, 503, []),  # one failed sync is not yet news
        (None, 503, ["needs_attention"]),
        (None, 503, []),  # the same streak: said already
        (healthy.model_copy(update={"name": "Ada L."}), 200, ["recovered"]),
        (healthy, 200, []),
    ]
    for snapshot, status, expected in days:
        rig.serve(snapshot, status=status)
        rig.sync()
        before = len(webhook.delivered())
        rig.deliver()
        assert [post["kind"] for post in webhook.delivered()[before:]] == expected
    needs, recovered = webhook.delivered()
    assert needs["attention"]["failures"] == 2 and "503" in needs["attention"]["reason"]
    assert recovered["attention"]["failures"] == 3


def test_a_changed_layout_needs_attention_at_once(rig: Rig, webhook: WebhookReceiver) -> None:
    rig.channel(webhook.url(), topics=[AlertTopic.SYNC_FAILED])
    rig.serve(record(papers=5))
    rig.sync()
    broken = render_profile_html(record(papers=5), include_papers=False).encode()
    rig.pages.set("/p/ada", Response(body=broken))
    assert rig.sync() is FetchStatus.LAYOUT_CHANGED
    rig.deliver()
    [post] = webhook.delivered()
    assert post["kind"] == "needs_attention" and post["attention"]["status"] == "layout_changed"
    assert "page layout changed" in post["message"]


def test_a_not_modified_sync_ends_a_streak_too(rig: Rig, webhook: WebhookReceiver) -> None:
    rig.channel(webhook.url(), topics=[AlertTopic.SYNC_FAILED])
    rig.serve(record(), etag='"v1"')
    rig.sync()
    for _ in range(2):
        rig.serve(None, status=503)
        rig.sync()
    rig.serve(record(), etag='"v1"')
    assert rig.sync() is FetchStatus.NOT_MODIFIED  # no snapshot, but the streak is over
    rig.deliver()
    assert kinds(webhook) == ["needs_attention", "recovered"]


def test_a_daily_digest_holds_the_days_events_for_one_message(
    rig: Rig, webhook: WebhookReceiver
) -> None:
    rig.channel(webhook.url(), digest=Digest.DAILY)
    rig.serve(record(citations=100))
    rig.sync()  # 2026-03-02 07:00
    rig.serve(with_new_paper(record(citations=100)))
    rig.sync(later=timedelta(hours=1))
    rig.serve(with_new_paper(record(citations=120)))
    rig.sync(later=timedelta(hours=1))
    rig.now = datetime.fromisoformat("2026-03-02T23:59:59+00:00")
    assert rig.deliver() == DeliveryReport()  # the day is not over
    rig.now += timedelta(seconds=1)
    assert rig.deliver() == DeliveryReport(sent=2)
    assert rig.deliver() == DeliveryReport()
    [digest] = webhook.delivered()
    assert digest["kind"] == "digest" and digest["period_end"] == "2026-03-03T00:00:00+00:00"
    assert [event["kind"] for event in digest["events"]] == ["new_paper", "metric_changed"]
    assert digest["message"].count("• ") == 2


def test_a_channel_gets_only_its_profiles_and_events(rig: Rig, webhook: WebhookReceiver) -> None:
    rig.store.add_profile(
        Profile(id="alan", url=rig.pages.url("/p/alan"), source="profile_page", added_at=FETCHED_AT)
    )
    rig.channel(webhook.url("/ada-papers"), profiles=["ada"], topics=[AlertTopic.NEW_PAPER])
    rig.channel(webhook.url("/alan"), profiles=["alan"])
    for path in ("/p/ada", "/p/alan"):
        rig.serve(record(citations=100), path=path)
    rig.sync("ada")
    rig.sync("alan")
    rig.serve(with_new_paper(record(citations=120)))
    rig.sync("ada")
    rig.deliver()
    assert [post.path for post in webhook.posts] == ["/ada-papers"]
    assert kinds(webhook) == ["new_paper"]


def test_no_channel_secret_reaches_logs_errors_or_the_outbox(
    rig: Rig, webhook: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = webhook.url(auth="bob:Pa55word-x", query="?+X-Api-Key=hdr-s3cret-9")
    rig.channel(url)
    rig.serve(record())
    rig.sync()
    rig.serve(with_new_paper(record()))
    rig.sync()
    webhook.script(500)
    rig.deliver()
    assert webhook.posts[0].headers["x-api-key"] == "hdr-s3cret-9"  # it was used...
    stored = repr(rig.store.query("SELECT * FROM alert_outbox")) + repr(rig.outbox())
    for secret in ("Pa55word-x", "hdr-s3cret-9"):  # ...and shown nowhere
        assert secret not in caplog.text and secret not in stored
    assert "json://bob:****@127.0.0.1" in caplog.text


def test_recording_a_sync_again_is_a_no_op(rig: Rig, webhook: WebhookReceiver) -> None:
    """What makes a retried task, a re-run or a re-parse harmless: the same events, the same ids."""
    from tracker.alerts.record import record_sync_events
    from tracker.changes import diff
    from tracker.sync import SyncResult

    rig.channel(webhook.url())
    grown = with_new_paper(record(citations=120))
    result = SyncResult("ada", FetchStatus.CHANGED, tuple(diff(record(), grown)))
    for _ in range(3):
        with rig.store.transaction() as con:
            record_sync_events(con, profile_id="ada", run_id=1, result=result, detected_at=rig.now)
    assert [row[:3] for row in rig.outbox()] == [(1, "pending", 0), (1, "pending", 0)]
    assert rig.deliver() == DeliveryReport(sent=2)
    assert sorted(kinds(webhook)) == ["metric_changed", "new_paper"]
