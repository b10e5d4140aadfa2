"""Alerts through the real Prefect sync flow, with a local webhook receiver as the channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alert_receivers import WebhookReceiver
from records_factory import paper, record
from tracker.alerts.channels import add_channel
from tracker.demo_page import render_profile_html
from tracker.pageserver import PageServer, Response
from tracker.settings import FetchSettings, Settings
from tracker.store import Profile, Store

DAY_ONE = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
SECRETS = ("Pa55word-x", "hdr-s3cret-9")


def test_baseline_new_paper_rerun_and_a_failed_receiver_through_the_flow(
    prefect_api: str,
    tmp_path: Path,
    page_server: PageServer,
    fetch_settings: FetchSettings,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from flows.sync_flow import run_sync
    from prefect.client.orchestration import get_client

    settings = Settings(data_dir=tmp_path, db=tmp_path / "flow.duckdb", fetch=fetch_settings)
    with WebhookReceiver() as webhook:
        with Store.open(settings.db_path) as store:
            store.add_profile(
                Profile(
                    id="ada", url=page_server.url("/ada"), source="profile_page", added_at=DAY_ONE
                )
            )
            url = webhook.url(auth=f"bob:{SECRETS[0]}", query=f"?+X-Api-Key={SECRETS[1]}")
            add_channel(store, url, now=DAY_ONE)

        five = record(papers=5)
        six = five.model_copy(update={"papers": [*five.papers, paper(6)]})
        seven = six.model_copy(update={"papers": [*six.papers, paper(7)]})
        days = [(five, 200), (six, 200), (six, 200), (seven, 500), (seven, 200)]
        summaries, new_posts = [], []
        for number, (snapshot, answer) in enumerate(days):
            page_server.set("/ada", Response(body=render_profile_html(snapshot).encode()))
            webhook.script(answer)
            before = len(webhook.posts)
            summaries.append(run_sync(settings, as_of=DAY_ONE + timedelta(days=number)))
            new_posts.append(
                [(post.status, post.json()["kind"]) for post in webhook.posts[before:]]
            )

    assert new_posts == [
        [],  # the baseline: the five papers already there are not news
        [(200, "new_paper")],
        [],  # the same page again
        [(500, "new_paper")],
        [(200, "new_paper")],  # the failed one, on the next run, once
    ]
    assert [(s.alerts_sent, s.alerts_failed, s.alerts_gave_up) for s in summaries] == [
        (0, 0, 0),
        (1, 0, 0),
        (0, 0, 0),
        (0, 1, 0),
        (1, 0, 0),
    ]
    delivered = webhook.delivered()
    assert [post["paper"]["key"] for post in delivered] == [paper(6).key, paper(7).key]
    assert len({post["id"] for post in delivered}) == 2

    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs()
        shown = [
            repr(client.read_artifacts()),
            repr(client.read_flow_runs()),
            repr(task_runs),
            repr(client.read_logs()),
        ]
    assert sum(run.name.startswith("deliver-alerts") for run in task_runs) >= len(days)
    captured = capsys.readouterr()
    shown += [captured.out, captured.err, caplog.text, repr(summaries)]
    for secret in SECRETS:
        assert not any(secret in text for text in shown)
