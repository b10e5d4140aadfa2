"""Render a profile record as the HTML page the demo's local server serves."""

from __future__ import annotations

from html import escape

from tracker.records import Paper, ProfileRecord

STAT_LABELS = (
    ("h_index", "h-index", ""),
    ("paper_count", "papers", ""),
    ("citations", "citations", ""),
    ("novelty_percent", "Novelty", "%"),
    ("ai_score", "AI Score", ""),
)


def render_profile_html(record: ProfileRecord, *, include_papers: bool = True) -> str:
    """A page in the site's style; without papers it imitates a redesign that lost the list."""
    stats = "".join(
        f'<div class="stat"><span class="label">{label}</span>'
        f'<span class="value">{record.metrics[key]}{suffix}</span></div>'
        for key, label, suffix in STAT_LABELS
        if key in record.metrics
    )
    count = record.metrics.get("paper_count", len(record.papers))
    if include_papers:
        papers = f"<h2>{count} Papers</h2>" + "".join(_card(paper) for paper in record.papers)
    else:
        papers = '<div id="app" data-state="loading">Loading…</div>'
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(record.name)}</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/explore">Explore</a> '
        '<a href="/login">Sign in</a></nav>'
        f'<main><section class="profile"><h1>{escape(record.name)}</h1>'
        f'<div class="org">{escape(record.affiliation or "")}</div>'
        f'<div class="stats">{stats}</div></section>'
        f'<section class="papers">{papers}</section></main>'
        "<footer>© 2026 Paper Atlas · About · Privacy · Terms</footer></body></html>"
    )


def _card(paper: Paper) -> str:
    published = paper.published.strftime("%b %-d, %Y") if paper.published else ""
    code = '<span class="badge">Code</span>' if paper.has_code else ""
    authors = ", ".join(paper.authors) + (" et al." if paper.authors_truncated else "")
    return (
        '<div class="card"><div class="meta">'
        f'<span class="badge">{escape(paper.category or "")}</span>'
        f"<span>{published}</span>{code}</div>"
        f"<h3>{escape(paper.title)}</h3>"
        f'<div class="authors">{escape(authors)}</div>'
        f'<p class="abstract">{escape(paper.abstract or "")}</p></div>'
    )
