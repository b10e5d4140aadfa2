from __future__ import annotations

from pathlib import Path

import pytest

from tracker.cli import main
from tracker.settings import Settings


def test_environment_wins_over_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text('data_dir = "/srv/tracker"\nconcurrency = 8\n[fetch]\nretries = 5\n')
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    monkeypatch.setenv("TRACKER_FETCH__RETRIES", "1")
    settings = Settings()
    assert settings.data_dir == Path("/srv/tracker")
    assert settings.db_path == Path("/srv/tracker/tracker.duckdb")
    assert settings.concurrency == 8
    assert settings.fetch.retries == 1


def test_a_bad_setting_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "x.duckdb"))
    monkeypatch.setenv("TRACKER_FETCH__RETRIES", "many")
    assert main(["list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracker: error: bad setting fetch.retries:") and err.count("\n") == 1
