"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from tracker.pageserver import PageServer
from tracker.settings import FetchSettings


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    """A running local page server on 127.0.0.1, stopped after the test."""
    with PageServer() as server:
        yield server


@pytest.fixture
def fetch_settings() -> FetchSettings:
    """Fetch settings with tiny timeouts and backoff, so failing cases stay fast."""
    return FetchSettings(
        connect_timeout=0.5,
        read_timeout=0.5,
        total_timeout=2.0,
        retries=2,
        backoff_base=0.01,
        politeness_delay=0.0,
    )


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server for the whole session, started the way `tracker sync` starts it."""
    from tracker.prefect_server import stop_local_server, use_prefect_server

    data_dir = tmp_path_factory.mktemp("prefect-data")
    os.environ.pop("PREFECT_API_URL", None)
    url = use_prefect_server(data_dir)
    yield url
    stop_local_server(data_dir)


@pytest.fixture(autouse=True)
def stop_prefect_events_worker() -> Iterator[None]:
    """After each test, stop Prefect's events worker if a flow started it, as Prefect's own
    test harness does. Its websocket's keepalive pings draw from the global `random` in a
    background thread; during another test's hypothesis draw, hypothesis reports that."""
    yield
    worker = sys.modules.get("prefect.events.worker")
    if worker is not None:
        worker.EventsWorker.drain_all()
