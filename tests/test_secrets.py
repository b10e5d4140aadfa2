"""Secrets never leak: API keys and alert-channel tokens, through failing syncs and every output.

An OpenAlex API key (sent in the query string), a Semantic Scholar key (sent as a header) and a
webhook channel with a password and a token header are used for real: syncs over several days,
some failing, with servers that echo the keys back in their pages and a webhook that fails
once. Then every output is searched for them: logs, the CLI's stdout and stderr, the reports
(md, json, html) and the run's Markdown artifact, every archived page (decompressed) and every
column of every table but the channel's own URL, which is stored as given.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from alert_receivers import WebhookReceiver
from loopback import LoopbackTransport, route
from records_factory import FETCHED_AT
from tracker.alerts.channels import add_channel
from tracker.alerts.deliver import deliver_pending
from tracker.archive import Archive
from tracker.cli import main
from tracker.credentials import Credentials
from tracker.fetch import Fetcher
from tracker.pageserver import PageServer, Response
from tracker.report import build_report, render_markdown
from tracker.settings import FetchSettings
from tracker.store import Profile, Store
from tracker.sync import Syncer, run_status

FIXTURES = Path(__file__).parent / "fixtures"
OPENALEX_KEY = "oa-KEY-7f3a9c"
S2_KEY = "s2-KEY-51e0d2"
CHANNEL_PASSWORD = "pw-TOKEN-88b1"
CHANNEL_HEADER = "hdr-TOKEN-2c47"
SECRETS = (OPENALEX_KEY, S2_KEY, CHANNEL_PASSWORD, CHANNEL_HEADER)
CREDENTIALS = Credentials(
    openalex_api_key=SecretStr(OPENALEX_KEY),
    openalex_email="me@example.org",
    semantic_scholar_api_key=SecretStr(S2_KEY),
)
SETTINGS = FetchSettings(
    connect_timeout=2, read_timeout=2, retries=1, backoff_base=0.01, politeness_delay=0
)
JSON = "application/json"

OPENALEX_AUTHOR = "https://api.openalex.org/authors/A5017898742"
OPENALEX_WORKS = (
    "https://api.openalex.org/works?filter=authorships.author.id:A5017898742&per-page=200&cursor=*"
)
S2_AUTHOR = (
    "https://api.semanticscholar.org/graph/v1/author/2262347"
    "?fields=name,affiliations,homepage,paperCount,citationCount,hIndex"
)


def fixture(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def json_response(data: object, status: int = 200) -> Response:
    return Response(status=status, body=json.dumps(data).encode(), content_type=JSON)


def echo(secret: str) -> str:
    """What a server that quotes the request back says."""
    return f"GET {OPENALEX_AUTHOR}?api_key={secret}&mailto=me%40example.org x-api-key: {secret}"


def serve_day(server: PageServer, day: int) -> None:
    """Good pages on even days; on odd days failures, several of which echo the keys."""
    author = fixture("openalex/author_A5017898742.json")
    works = fixture("openalex/works_author_A5017898742_per_page5.json")
    works["meta"] = {**works["meta"], "next_cursor": None}  # type: ignore[dict-item]
    s2 = fixture("semanticscholar/author_2262347_with_papers.json")
    author["cited_by_count"] = 100 + day
    s2["citationCount"] = 200 + day
    if day == 2:  # the keys echoed inside pages that parse: a name, a paper title
        author["display_name"] = f"Joseph Mearman {echo(OPENALEX_KEY)}"
        s2["name"] = f"Alan Turing {echo(S2_KEY)}"
    responses = {
        OPENALEX_AUTHOR: json_response(author),
        OPENALEX_WORKS: json_response(works),
        S2_AUTHOR: json_response(s2),
    }
    if day == 1:  # failures whose pages or messages quote the request
        responses[OPENALEX_AUTHOR] = Response(status=500, body=echo(OPENALEX_KEY).encode())
        responses[S2_AUTHOR] = json_response({"error": echo(S2_KEY)})
    if day == 3:
        responses[OPENALEX_AUTHOR] = Response(
            status=301, redirect_to=f"/authors/A5017898742?api_key={OPENALEX_KEY}&x=1"
        )
        responses[S2_AUTHOR] = Response(status=429, headers={"Retry-After": "99999"})
    for url, response in responses.items():
        server.set(route(url), response)
    server.set(route(f"{OPENALEX_AUTHOR}?x=1"), json_response(author))


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_secrets_reach_no_log_error_report_archive_or_table(
    tmp_path: Path,
    page_server: PageServer,
    webhook: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    db, archive = tmp_path / "secrets.duckdb", Archive(tmp_path / "archive")
    channel_url = webhook.url(auth=f"bob:{CHANNEL_PASSWORD}", query=f"?+X-Token={CHANNEL_HEADER}")
    now = FETCHED_AT
    statuses = []
    with (
        Store.open(db) as store,
        Fetcher(SETTINGS, transport=LoopbackTransport(page_server), sleep=lambda _: None) as f,
    ):
        store.add_profile(
            Profile(
                id="oa", url="https://openalex.org/A5017898742", source="openalex", added_at=now
            )
        )
        store.add_profile(
            Profile(
                id="s2",
                url="https://www.semanticscholar.org/author/A.-Turing/2262347",
                source="semantic_scholar",
                added_at=now,
            )
        )
        add_channel(store, channel_url, now=now)
        syncer = Syncer(store, f, archive, lambda: now, CREDENTIALS)
        webhook.script(500)  # the first delivery fails, its error is recorded
        runs = []
        for day in range(5):
            now += timedelta(days=1)
            serve_day(page_server, day)
            run = store.start_run(now)
            runs.append(run)
            results = [syncer.sync(run, profile_id) for profile_id in ("oa", "s2")]
            store.finish_run(run, now, run_status(results))
            statuses.append(tuple(result.status.value for result in results))
            deliver_pending(store, now=now)
        artifacts = [render_markdown(build_report(store, generated_at=now, run_id=r)) for r in runs]
        tables = every_column_but_the_channel_url(store)

    # The scenario did what it says: keys sent, failures and echoes met, alerts delivered.
    assert statuses == [
        ("baseline", "baseline"),
        ("failed", "layout_changed"),
        ("changed", "changed"),
        ("changed", "blocked"),
        ("changed", "changed"),
    ]
    sent = {request.query for request in page_server.requests if "api_key" in request.query}
    assert sent and all(OPENALEX_KEY in query for query in sent)
    assert any(r.headers.get("x-api-key") == S2_KEY for r in page_server.requests)
    assert webhook.posts and webhook.posts[-1].headers["x-token"] == CHANNEL_HEADER
    assert [post.status for post in webhook.posts][:1] == [500]

    monkeypatch.setenv("TRACKER_DB", str(db))
    monkeypatch.setenv("TRACKER_API__OPENALEX_API_KEY", OPENALEX_KEY)
    monkeypatch.setenv("TRACKER_API__SEMANTIC_SCHOLAR_API_KEY", S2_KEY)
    outputs = {}
    commands = [
        ["list"],
        ["list", "--format", "json"],
        ["changes", "--format", "json"],
        ["history", "oa"],
        ["papers", "s2"],
        ["alerts", "list"],
        ["check"],
        ["report", "--format", "md", "--output", str(tmp_path / "report.md")],
        ["report", "--format", "json", "--output", str(tmp_path / "report.json")],
        ["report", "--format", "html", "--output", str(tmp_path / "report.html")],
        ["report"],
    ]
    for command in commands:
        code = main(command)
        captured = capsys.readouterr()
        assert code == 0, (command, captured.err)
        outputs[" ".join(command)] = captured.out + captured.err
    for name in ("report.md", "report.json", "report.html"):
        outputs[name] = (tmp_path / name).read_text()
    assert "bob:****@" in outputs["alerts list"]
    for number, artifact in enumerate(artifacts):
        outputs[f"artifact of run {number + 1}"] = artifact
    outputs["logs"] = caplog.text
    pages = sorted(archive.root.rglob("*.gz"))
    assert len(pages) > 4
    for path in pages:
        body = gzip.decompress(path.read_bytes())
        outputs[f"archive {path.name}"] = body.decode(errors="replace")
    outputs.update(tables)
    # The echoed keys were there, and are gone.
    archived = [text for where, text in outputs.items() if where.startswith("archive")]
    assert any("api_key=[redacted]" in text for text in archived)

    found = {where: leaks(text) for where, text in outputs.items() if leaks(text)}
    assert found == {}, [line for line in caplog.text.splitlines() if leaks(line)][:3]


def every_column_but_the_channel_url(store: Store) -> dict[str, str]:
    """Each table as text, column by column; alert_channels.url holds its secrets by design."""
    columns = store.query(
        "SELECT table_name, column_name FROM information_schema.columns "
        "JOIN information_schema.tables USING (table_name) WHERE table_type = 'BASE TABLE' "
        "ORDER BY ALL"
    )
    assert ("alert_outbox", "last_error") in columns
    return {
        f"table {table}.{column}": repr(store.query(f'SELECT "{column}" FROM {table}'))
        for table, column in columns
        if (table, column) != ("alert_channels", "url")
    }
