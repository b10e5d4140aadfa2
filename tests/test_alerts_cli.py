"""`tracker alerts add | list | remove | test`: output, exit codes, and secrets never printed."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from alert_receivers import WebhookReceiver
from tracker.cli import main

SECRET = "Pa55word-x"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("TRACKER_DB", str(path))
    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    return path


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_add_list_test_remove(
    capsys: pytest.CaptureFixture[str], db: Path, webhook: WebhookReceiver
) -> None:
    assert run(capsys, "add", "https://example.org/people/ada")[0] == 0
    url = webhook.url(auth=f"bob:{SECRET}", query="?+X-Api-Key=hdr-s3cret-9")
    code, out, _ = run(capsys, "alerts", "add", url, "--profile", "ada", "--on", "new_paper")
    assert code == 0 and out.startswith("alert channel 1: json://bob:****@127.0.0.1:")
    dead = f"json://127.0.0.1:{closed_port()}/hook"
    assert run(capsys, "alerts", "add", dead, "--digest", "weekly")[0] == 0

    code, out, _ = run(capsys, "alerts", "list", "--format", "json")
    channels = json.loads(out)
    assert [(c["id"], c["profiles"], c["events"], c["digest"]) for c in channels] == [
        (1, ["ada"], ["new_paper"], None),
        (2, [], ["new_paper", "metric_changed", "sync_failed"], "weekly"),
    ]
    assert channels[0]["url"] == f"{webhook.url(auth='bob:****')}?%2BX-Api-Key=****"
    assert {c["pending"] + c["sent"] + c["failed"] + c["gave_up"] for c in channels} == {0}
    code, table, _ = run(capsys, "alerts", "list")
    assert code == 0 and table.splitlines()[:3] == [
        f"1  {channels[0]['url']}",
        "   profiles: ada; events: new_paper; one message per event",
        "   pending 0, sent 0, failed 0, gave up 0",
    ]

    code, out, _ = run(capsys, "alerts", "test")
    assert code == 1  # one channel failed
    lines = out.splitlines()
    assert lines[0].startswith("alert channel 1 (json://bob:****@") and lines[0].endswith(": ok")
    assert lines[1].startswith("alert channel 2 (json://127.0.0.1:") and ": failed: " in lines[1]
    [post] = webhook.delivered()
    assert post["kind"] == "test" and post["title"] == "tracker: test alert"
    assert run(capsys, "alerts", "test", "1")[0] == 0

    assert run(capsys, "alerts", "remove", "2")[:2] == (
        0,
        f"removed alert channel 2: {dead}\n",
    )
    code, out, _ = run(capsys, "alerts", "list", "--format", "json")
    assert [c["id"] for c in json.loads(out)] == [1]
    assert SECRET not in out + table + "\n".join(lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alerts", "add", f"nosuchservice://bob:{SECRET}@host"], "apprise cannot send to this"),
        (["alerts", "add", f"bob:{SECRET}"], "apprise cannot send to this URL"),
        (["alerts", "add", "json://127.0.0.1/x", "--on", "new_paper,gossip"], "unknown event"),
        (["alerts", "add", "json://127.0.0.1/x", "--profile", "nobody"], "no profile with id"),
        (["alerts", "add", "json://127.0.0.1/x", "--digest", "hourly"], "'hourly' is not one of"),
        (["alerts", "remove", "7"], "no alert channel with id 7"),
        (["alerts", "test"], "no alert channels"),
        (["alerts", "test", "3"], "no alert channel with id 3"),
    ],
)
def test_alert_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], db: Path, args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2, out + err
    assert err.startswith("tracker: error: ") and message in err
    assert err.count("\n") == 1 and SECRET not in err


def test_the_same_url_twice_is_refused(
    capsys: pytest.CaptureFixture[str], db: Path, webhook: WebhookReceiver
) -> None:
    assert run(capsys, "alerts", "add", webhook.url())[0] == 0
    code, _, err = run(capsys, "alerts", "add", webhook.url())
    assert code == 2 and "this URL is alert channel 1 already" in err


def test_list_without_a_database(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    assert run(capsys, "alerts", "list") == (
        0,
        "No alert channels: add one with `tracker alerts add URL`.\n",
        "",
    )
