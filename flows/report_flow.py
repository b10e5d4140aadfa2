"""The report flow: render the change report of a period and publish it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from tracker.report import build_report, render_markdown
from tracker.settings import Settings
from tracker.store import Store
from tracker.sync import utc_now

REPORT_ARTIFACT_KEY = "tracker-report"


@flow(name="tracker-report")
def report_flow(
    since: datetime | None = None,
    profile_ids: list[str] | None = None,
    db: str | None = None,
    output: str | None = None,
) -> str:
    """Render the Markdown report, write it to `output` when given, and publish it."""
    settings = Settings(db=db) if db else Settings()
    with Store.open(settings.db_path, read_only=True) as store:
        report = build_report(store, generated_at=utc_now(), since=since, profile_ids=profile_ids)
    markdown = render_markdown(report)
    if output:
        Path(output).write_text(markdown, encoding="utf-8")
    create_markdown_artifact(markdown=markdown, key=REPORT_ARTIFACT_KEY)
    return markdown
