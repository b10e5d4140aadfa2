"""The profile-page parser: every rendering of one saved profile, then each rule on its own."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.errors import LayoutChangedError, ParseError
from tracker.records import Paper, ProfileRecord
from tracker.sources.profile_page import SOURCE

FIXTURES = Path(__file__).parent / "fixtures" / "profile_page"
PROFILE_URL = "https://paperscope.example/researcher/hankook-lee"
FETCHED_AT = datetime(2026, 1, 15, tzinfo=UTC)
EXPECTED = ProfileRecord.model_validate_json((FIXTURES / "expected.json").read_text())
PLAIN_TEXT = (FIXTURES / "hankook-lee.txt").read_text()
LINK_FIELDS = {"key", "url", "code_url", "arxiv_id", "doi"}


def parse(text: str, *, fetched_at: datetime = FETCHED_AT) -> ProfileRecord:
    return SOURCE.parse(text, url=PROFILE_URL, fetched_at=fetched_at)


def without_links(record: ProfileRecord, *, any_order: bool = False) -> dict[str, Any]:
    """The record minus the fields that come from links, which differ between renderings."""
    data = record.model_dump()
    papers = [{k: v for k, v in p.items() if k not in LINK_FIELDS} for p in data["papers"]]
    data["papers"] = sorted(papers, key=lambda p: p["title"]) if any_order else papers
    return data


def paper(record: ProfileRecord, title_start: str) -> Paper:
    return next(p for p in record.papers if p.title.startswith(title_start))


# ---------------------------------------------------------------------------- renderings

RENDERINGS = [
    ("hankook-lee.txt", False),
    ("pre_text.html", False),
    ("app_div_soup.html", False),
    ("semantic.html", False),
    ("table_layout.html", False),
    ("noisy.html", False),
    ("reordered_labels.html", True),  # the same cards in another order
    # renderings written after the parser, to check it on markup it was not built for
    ("unseen/next_ssr.html", False),
    ("unseen/bootstrap_grid.html", False),
    ("unseen/markdown_article.html", False),
    ("unseen/details_collapsed.html", False),
    ("unseen/br_cards.html", False),
    ("unseen/xhtml_namespaced.xhtml", False),
    ("unseen/unicode_oddities.html", False),
    ("unseen/arxiv_listing.html", False),
    ("unseen/sidebar_first.html", False),
    ("unseen/stats_after_papers.html", False),
]


@pytest.mark.parametrize(("fixture", "reordered"), RENDERINGS)
def test_every_rendering_reads_as_the_plain_text(fixture: str, reordered: bool) -> None:
    record = parse((FIXTURES / fixture).read_text())
    assert without_links(record, any_order=reordered) == without_links(
        EXPECTED, any_order=reordered
    )
    assert len({p.key for p in record.papers}) == len(record.papers)


def test_the_plain_text_gives_the_expected_record_with_title_keys() -> None:
    assert parse(PLAIN_TEXT) == EXPECTED
    assert EXPECTED.papers[0].key == (
        "title:stunt few shot tabular learning with self generated tasks from unlabeled tables"
    )


S = "https://paperscope.example/paper/"
LINKED_PAPERS = [
    ("app_div_soup.html", "STUNT", {
        "key": "arxiv:2399.00001",
        "url": S + "stunt-few-shot-tabular-learning-with-self-generated-tasks-fr",
        "code_url": "https://github.com/jaehyun513/STUNT",
        "arxiv_id": "2399.00001v2",
        "doi": None,
    }),
    ("app_div_soup.html", "Partial-Multivariate", {
        "key": "url:/paper/partial-multivariate-model-for-forecasting",
        "url": S + "partial-multivariate-model-for-forecasting",
        "code_url": None,
        "arxiv_id": None,
        "doi": None,
    }),
    ("app_div_soup.html", "Guiding Deep Molecular", {
        "key": "arxiv:2399.00021",
        "url": S + "guiding-deep-molecular-optimization-with-genetic-exploration",
        "code_url": None,
        "arxiv_id": "2399.00021v1",
        "doi": None,
    }),
    ("semantic.html", "Patch-level", {
        "key": "doi:10.5555/fake.2022.0005",
        "url": S + "patch-level-representation-learning-for-self-supervised-visi",
        "code_url": None,
        "arxiv_id": None,
        "doi": "10.5555/FAKE.2022.0005",
    }),
    ("semantic.html", "Is Prompt Selection", {
        "key": "url:/paper/is-prompt-selection-necessary-for-task-free-online-continual",
        "url": S + "is-prompt-selection-necessary-for-task-free-online-continual",
        "code_url": "https://github.com/efficient-learning-lab/SinglePrompt",
        "arxiv_id": None,
        "doi": None,
    }),
    ("table_layout.html", "STUNT", {
        "key": "url:/paper.php?id=101",
        "url": "https://paperscope.example/paper.php?id=101",
        "code_url": "https://github.com/jaehyun513/STUNT",
        "arxiv_id": None,
        "doi": None,
    }),
    ("reordered_labels.html", "Guiding Energy-based", {
        "key": "arxiv:2399.10002",
        "url": S + "guiding-energy-based-models-via-contrastive-latent-variables?ref=profile",
        "code_url": "https://github.com/hankook/CLEL",
        "arxiv_id": "2399.10002v3",
        "doi": None,
    }),
    ("reordered_labels.html", "Self-Improved Retrosynthetic", {
        "key": "url:/paper/self-improved-retrosynthetic-planning",
        "url": S + "self-improved-retrosynthetic-planning?ref=profile",
        "code_url": None,
        "arxiv_id": None,
        "doi": None,
    }),
    ("noisy.html", "TimePerceiver", {
        "key": "url:/paper/timeperceiver-an-encoder-decoder-framework-for-generalized-t",
        "url": S + "timeperceiver-an-encoder-decoder-framework-for-generalized-t",
        "code_url": "https://github.com/efficient-learning-lab/TimePerceiver",
        "arxiv_id": None,
        "doi": None,
    }),
]  # fmt: skip


@pytest.mark.parametrize(("fixture", "title_start", "links"), LINKED_PAPERS)
def test_links_fill_the_link_fields(fixture: str, title_start: str, links: dict[str, str]) -> None:
    found = paper(parse((FIXTURES / fixture).read_text()), title_start)
    assert {name: getattr(found, name) for name in links} == links


@pytest.mark.parametrize(
    "fixture", ["app_div_soup.html", "semantic.html", "table_layout.html", "noisy.html"]
)
def test_every_code_badge_that_is_a_link_gives_its_url(fixture: str) -> None:
    record = parse((FIXTURES / fixture).read_text())
    assert [p.code_url is not None for p in record.papers] == [p.has_code for p in record.papers]
    assert all(p.url is not None for p in record.papers)


def test_a_link_that_does_not_parse_leaves_its_paper_without_a_url() -> None:
    """A bracket that opens no IPv6 address: that paper has no URL; the page is still read."""
    html = (FIXTURES / "semantic.html").read_text()
    title_link = re.search(r'<h3><a href="([^"]*)"', html)
    assert title_link is not None
    start, end = title_link.span(1)
    record, intact = parse(html[:start] + "https://[broken" + html[end:]), parse(html)
    assert record.papers[0].url is None
    assert record.papers[0].title == intact.papers[0].title
    assert record.papers[1:] == intact.papers[1:]


# ---------------------------------------------------------------------------- rules, one by one

CARD = "LGMar 2, 2023Code\nA Paper Title\nAnn Lee, Bob Kim et al.\nAn abstract of the paper."
STATS = ("h-index 2", "1 papers", "4 citations")


def page(*stats: str, head: str = "Jane Doe\nMIT", cards: tuple[str, ...] = (CARD,)) -> str:
    """A small profile page as plain text."""
    return "\n".join([head, *(stats or STATS), f"{len(cards)} Papers", *cards])


@pytest.mark.parametrize(
    ("stats", "metrics"),
    [
        (("h-index76", "1papers", "754citations"), {"h_index": 76, "citations": 754}),
        (("h-index 76", "papers: 1", "Citations 754"), {"h_index": 76, "citations": 754}),
        (("76 h-index", "1 papers", "754 citations"), {"h_index": 76, "citations": 754}),
        (("H-Index: 2", "Papers 1", "Cited by 1,234"), {"h_index": 2, "citations": 1234}),
        (("h-index 2", "1 papers", "1.234 citations"), {"citations": 1234}),
        (("h-index 2", "1 papers", "1.2k citations"), {"citations": 1200}),
        (("h-index 2", "1 papers", "4 citations", "Novelty57%"), {"novelty_percent": 57}),
        (("h-index 2", "1 papers", "4 citations", "57 % novelty"), {"novelty_percent": 57}),
        (("h-index 2", "1 papers", "4 citations", "AI Score60"), {"ai_score": 60}),
        (("h-index 2", "1 papers", "4 citations", "AI Score: 60"), {"ai_score": 60}),
        (("h-index 2", "1 papers", "4 citations", "4.5 AI score"), {"ai_score": 4.5}),
        (("h-index 2 · 1 papers · 4 citations · 60 AI Score",), {"h_index": 2, "ai_score": 60}),
        (("h-index", "2", "papers", "1", "citations", "4"), {"h_index": 2, "citations": 4}),
        (("2", "h-index", "1", "papers", "4", "citations"), {"h_index": 2, "citations": 4}),
        (("h-index", "papers", "citations", "2", "1", "4"), {"h_index": 2, "citations": 4}),
    ],
)
def test_stats_labels_and_values_pair_in_either_order(
    stats: tuple[str, ...], metrics: dict[str, float]
) -> None:
    record = parse(page(*stats))
    assert {name: record.metrics.get(name) for name in metrics} == metrics
    assert record.metrics["paper_count"] == 1


@pytest.mark.parametrize(
    "html",
    [
        "<div><span>2</span><span>h-index</span></div><div><span>1</span><span>papers</span>"
        "</div><div><span>4</span><span>citations</span></div>",
        "<dl><dt>h-index</dt><dd>2</dd><dt>Papers</dt><dd>1</dd><dt>Citations</dt><dd>4</dd></dl>",
        "<TABLE><TR><TD>h-index</TD><TD>2</TD></TR><TR><TD>Papers</TD><TD>1</TD></TR>"
        "<TR><TD>Citations</TD><TD>4</TD></TR></TABLE>",
        "<table><tr><th>h-index</th><th>papers</th><th>citations</th></tr>"
        "<tr><td>2</td><td>1</td><td>4</td></tr></table>",
    ],
)
def test_stats_markup_does_not_matter(html: str) -> None:
    card = "".join(f"<p>{line}</p>" for line in CARD.split("\n"))
    record = parse(f"<h1>Jane Doe</h1><p>MIT</p>{html}<h2>1 Papers</h2>{card}")
    assert record.metrics == {"h_index": 2, "paper_count": 1, "citations": 4}


@pytest.mark.parametrize(
    ("head", "published"),
    [
        ("LGMar 2, 2023", date(2023, 3, 2)),
        ("LG 2023-03-02", date(2023, 3, 2)),
        ("LG 2 Mar 2023", date(2023, 3, 2)),
        ("LG March 2, 2023", date(2023, 3, 2)),
        ("2023-03-02 · LG", date(2023, 3, 2)),
        ("LGApr 6", date(2025, 4, 6)),  # 6 April 2026 is after the fetch: the year before
        ("LG Jan 15", date(2026, 1, 15)),  # the fetch day itself
        ("LG Jan 14", date(2026, 1, 14)),
        ("LG Dec 31", date(2025, 12, 31)),
        ("LG Feb 29", date(2024, 2, 29)),  # the latest 29 February before the fetch
    ],
)
def test_dates(head: str, published: date) -> None:
    card = CARD.replace("LGMar 2, 2023Code", head)
    assert parse(page(cards=(card,))).papers[0].published == published


def test_an_impossible_date_is_flagged_not_guessed() -> None:
    record = parse(page(cards=(CARD.replace("Mar 2, 2023", "Feb 30, 2023"),)))
    assert record.papers[0].published is None
    assert [w for w in record.warnings if "impossible date" in w]


def test_time_element_gives_the_date() -> None:
    html = page().replace("LGMar 2, 2023Code", '<time datetime="2023-03-02">yesterday</time>')
    assert parse(html.replace("\n", "<br>")).papers[0].published == date(2023, 3, 2)


@pytest.mark.parametrize(
    ("line", "authors", "truncated"),
    [
        ("Ann Lee, Bob Kim et al.", ["Ann Lee", "Bob Kim"], True),
        ("Ann Lee, Bob Kim, et al.", ["Ann Lee", "Bob Kim"], True),
        ("Ann Lee, Bob Kim", ["Ann Lee", "Bob Kim"], False),
        ("Ann Lee and Bob Kim", ["Ann Lee", "Bob Kim"], False),
        ("Ann Lee", ["Ann Lee"], False),
    ],
)
def test_authors(line: str, authors: list[str], truncated: bool) -> None:
    found = parse(page(cards=(CARD.replace("Ann Lee, Bob Kim et al.", line),))).papers[0]
    assert (found.authors, found.authors_truncated) == (authors, truncated)


def test_authors_one_per_line() -> None:
    html = "<br>".join(page().split("\n")).replace(
        "Ann Lee, Bob Kim et al.", "<ul><li>Ann Lee</li><li>Bob Kim</li><li>et al.</li></ul>"
    )
    found = parse(html).papers[0]
    assert (found.authors, found.authors_truncated) == (["Ann Lee", "Bob Kim"], True)


def test_affiliation_and_category_look_the_same_but_are_told_apart_by_place() -> None:
    record = parse(page(head="Jane Doe\nLG", cards=(CARD.replace("LGMar", "cs.CV Mar"), CARD)))
    assert record.affiliation == "LG"
    assert [p.category for p in record.papers] == ["cs.CV", "LG"]


def test_a_page_without_affiliation() -> None:
    record = parse(page(head="PaperScope\nJane Doe"))
    assert (record.name, record.affiliation) == ("Jane Doe", None)


def test_abstract_paragraphs_are_joined_by_a_blank_line() -> None:
    card = CARD + "\nA second paragraph of the abstract, long enough to be prose."
    abstract = parse(page(cards=(card,))).papers[0].abstract
    assert abstract == (
        "An abstract of the paper.\n\nA second paragraph of the abstract, long enough to be prose."
    )


def test_titles_above_the_card_heads() -> None:
    cards = (
        "A Paper Title\nLG · Mar 2, 2023 · Code\nAnn Lee, Bob Kim et al.\n"
        "An abstract of the paper.",
        "Another Title\nCV · Mar 3, 2023\nCid Roe, Dee Poe\nA second abstract, rather short.",
    )
    record = parse(page("h-index 2", "2 papers", "4 citations", cards=cards) + "\n---\nA footer.")
    assert [(p.title, p.category, p.has_code, p.abstract) for p in record.papers] == [
        ("A Paper Title", "LG", True, "An abstract of the paper."),
        ("Another Title", "CV", False, "A second abstract, rather short."),
    ]
    assert record.papers[1].authors == ["Cid Roe", "Dee Poe"]


@pytest.mark.parametrize(
    "card",
    [
        "LG Mar 2, 2023\nTitle: A Paper Title\nAuthors: Ann Lee, Bob Kim, et al.\n"
        "Abstract: An abstract of the paper.",
        "[1] [abs, pdf]\nTitle: A Paper Title\nAuthors: Ann Lee, Bob Kim et al.\n"
        "Subjects: LG\nSubmitted: 2 March, 2023\nAbstract: An abstract of the paper.",
        "LGMar 2, 2023\nA Paper Title\nAnn Lee\nBob Kim\net al.\nAbstract\n"
        "An abstract of the paper.",
    ],
)
def test_field_labels_are_not_data(card: str) -> None:
    found = parse(page(cards=(card,))).papers[0]
    assert (found.title, found.authors, found.authors_truncated) == (
        "A Paper Title",
        ["Ann Lee", "Bob Kim"],
        True,
    )
    assert (found.category, found.published) == ("LG", date(2023, 3, 2))
    assert found.abstract == "An abstract of the paper."


def test_a_thematic_break_ends_the_last_card() -> None:
    html = "<br>".join(page().split("\n")) + "<hr><p>Generated from a site, edit this page.</p>"
    assert parse(html).papers[0].abstract == "An abstract of the paper."


def test_stats_below_the_paper_list() -> None:
    card = "".join(f"<p>{line}</p>" for line in CARD.split("\n"))
    record = parse(
        f"<h1>Jane Doe</h1><p>MIT</p><h2>1 Papers</h2><div>{card}</div><aside><h3>Metrics</h3>"
        "<dl><dt>h-index</dt><dd>2</dd><dt>Citations</dt><dd>4</dd></dl></aside>"
    )
    assert (record.name, record.affiliation, len(record.papers)) == ("Jane Doe", "MIT", 1)
    assert record.metrics == {"h_index": 2, "citations": 4, "paper_count": 1}


SIMILAR = "Similar researchers\nAnn Lee\nKAIST\nh-index 98 · 41,233 citations"


@pytest.mark.parametrize(
    "text",
    [
        page("h-index 2", "1 papers", "4 citations", head=SIMILAR + "\nJane Doe\nMIT"),
        page("h-index 2", "1 papers", "4 citations", head="Jane Doe\nMIT") + "\n" + SIMILAR,
    ],
)
def test_other_researchers_and_their_stats_are_not_the_profile(text: str) -> None:
    record = parse(text)
    assert (record.name, record.affiliation) == ("Jane Doe", "MIT")
    assert record.metrics == {"h_index": 2, "paper_count": 1, "citations": 4}
    assert len(record.papers) == 1


@pytest.mark.parametrize(
    "badge",
    [
        '<img src="/code.svg" alt="Code">',
        '<svg viewBox="0 0 9 9"><title>Code</title><path d="M0 0"/></svg>',
        '<svg viewBox="0 0 9 9"><path d="M0 0"/></svg><span class="sr-only">Code</span>',
    ],
)
def test_a_code_badge_drawn_as_an_image_or_icon(badge: str) -> None:
    html = "<br>".join(page().split("\n")).replace(
        "LGMar 2, 2023Code", f'LG Mar 2, 2023 <a href="https://github.com/a/b">{badge}</a>'
    )
    found = parse(html).papers[0]
    assert (found.has_code, found.code_url) == (True, "https://github.com/a/b")


def test_xhtml_is_read_as_xml() -> None:
    body = "".join(f"<h:p>{line}</h:p>" for line in page().split("\n"))
    xhtml = '<h:html xmlns:h="http://www.w3.org/1999/xhtml"><h:body>{}</h:body></h:html>'
    # With its namespace prefix, every element reads as the HTML element it names.
    record = parse(xhtml.format(body.replace("<h:p>A Paper", '<h:p><h:a href="/p"/>A Paper')))
    assert (record.name, record.papers[0].category) == ("Jane Doe", "LG")
    # `<a/>` is an empty link, not one that runs to the end of the line.
    assert record.papers[0].url is None


def test_invisible_and_lookalike_characters() -> None:
    text = "\ufeff" + page("h\u2011index\u00a02", "1\u202fpapers", "4 cita\u200btions").replace(
        "A Paper Title", "A Pa\u00adper Ti\u200btle"
    )
    record = parse(text)
    assert record.metrics == {"h_index": 2, "paper_count": 1, "citations": 4}
    assert record.papers[0].title == "A Paper Title"


SITE_CHROME = """
<div class="top"><div>PaperScope</div><div><a href="/">Home</a><a href="/x">Explore</a>
<a href="/t">Trending</a></div><input placeholder="Search papers"><a href="/in">Sign in</a></div>
<div><div>Jane Doe</div><div>MIT</div>
<div><span>2</span> <span>h-index</span></div><div>1 papers</div><div>4 citations</div>
<div>1 Papers</div>
<div class="card"><div><span>LG</span><span>Mar 2, 2023</span><a href="/gh">Code</a></div>
<div><a href="/paper/p">A Paper Title</a></div><div>Ann Lee, Bob Kim et al.</div>
<div>An abstract of the paper.</div></div>
<button>Load more</button></div>
<div class="bottom"><div>PaperScope</div>
<div>Research, followed daily by people who read papers.</div>
<div><a href="/about">About</a> | <a href="/privacy">Privacy</a> | <a href="/terms">Terms</a></div>
<div>© 2025 PaperScope Inc.</div></div>
<div class="cookies"><p>We use cookies to improve your experience.</p><button>Accept</button></div>
"""


def test_navigation_footer_and_banners_are_not_data() -> None:
    record = parse(SITE_CHROME)
    assert (record.name, record.affiliation) == ("Jane Doe", "MIT")
    assert [p.abstract for p in record.papers] == ["An abstract of the paper."]
    assert record.papers[0].code_url == "https://paperscope.example/gh"


def test_a_counter_in_the_navigation_is_not_the_stats() -> None:
    text = page(head="Papers 12\nJane Doe\nMIT", cards=(CARD,))
    record = parse(text)
    assert (record.name, record.metrics["paper_count"]) == ("Jane Doe", 1)


@pytest.mark.parametrize(
    ("stats", "kept", "warning"),
    [
        (("h-index 2", "1 papers", "4 citations"), {"h_index": 2}, None),
        (("h-index 3", "1 papers", "8 citations"), {"h_index": 3}, "h-index 3 is impossible"),
        (
            ("h-index 2", "1 papers", "4 citations", "Novelty 120%"),
            {"novelty_percent": 120},
            "120%",
        ),
        (("h-index 2", "3 papers", "4 citations"), {"paper_count": 3}, "states 3 papers but 1"),
    ],
)
def test_impossible_values_are_kept_and_flagged(
    stats: tuple[str, ...], kept: dict[str, int], warning: str | None
) -> None:
    record = parse(page(*stats))
    assert {name: record.metrics[name] for name in kept} == kept
    if warning is None:
        assert record.warnings == []
    else:
        assert [w for w in record.warnings if warning in w], record.warnings


def test_the_sample_profile_is_flagged_for_its_h_index() -> None:
    assert EXPECTED.warnings == [
        "h-index 76 is impossible with 754 citations (an h-index of 76 needs at least 5776)"
    ]


NOT_PROFILES = [
    "",
    "   \n\n ",
    "<html><body><h1>Sign in</h1><form><input name=email><button>Sign in</button></form>"
    "<a href=/forgot>Forgot password?</a></body></html>",
    "<html><body><h1>Verify you are human</h1><div class=g-recaptcha></div>"
    "<p>Please complete the CAPTCHA to continue.</p></body></html>",
    '{"name": "Hankook Lee", "h-index": 76, "papers": 24, "citations": 754}',
    bytes(range(256)).decode("latin-1"),
    "<<<>>> &&& </div></div><p",
]


@pytest.mark.parametrize("text", NOT_PROFILES)
def test_other_pages_are_a_parse_error(text: str) -> None:
    assert not SOURCE.recognises_content(text)
    with pytest.raises(ParseError) as raised:
        parse(text)
    assert type(raised.value) is ParseError


@pytest.mark.parametrize(
    "text",
    [
        "h-index 2\n1 papers\n4 citations\n" + CARD,  # no name above the stats
        page(cards=("LGMar 2, 2023",)),  # a card head and nothing else
        "Jane Doe\nh-index 2\n5 papers\n4 citations\n5 Papers\nnothing that looks like a card",
        "<h1>Jane Doe</h1><dl><dt>h-index</dt><dd></dd><dt>Citations</dt><dd></dd></dl>",
    ],
)
def test_known_page_with_unreadable_structure_is_a_layout_change(text: str) -> None:
    assert SOURCE.recognises_content(text)
    with pytest.raises(LayoutChangedError):
        parse(text)


@pytest.mark.parametrize("fixture", [name for name, _ in RENDERINGS])
def test_renderings_are_recognised(fixture: str) -> None:
    assert SOURCE.recognises_content((FIXTURES / fixture).read_text())


@pytest.mark.parametrize(
    ("url", "recognised"),
    [
        ("https://paperscope.example/researcher/hankook-lee", True),
        ("http://example.org/u/1", True),
        ("ftp://example.org/u/1", False),
        ("paperscope.example/researcher", False),
        ("", False),
    ],
)
def test_any_http_url_is_recognised(url: str, recognised: bool) -> None:
    assert SOURCE.recognises_url(url) is recognised


# ---------------------------------------------------------------------------- card order

HEADER, _, CARDS = PLAIN_TEXT.partition("24 Papers\n\n")
CARD_TEXTS = re.split(r"\n(?=[A-Z]{2}[A-Z][a-z]{2} \d)", CARDS)  # at heads like "LGMar 2"


def test_the_card_split_used_below_finds_every_card() -> None:
    assert len(CARD_TEXTS) == 24


@settings(max_examples=25, deadline=None)
@given(st.permutations(CARD_TEXTS))
def test_reordering_the_cards_gives_the_same_papers(cards: list[str]) -> None:
    record = parse(HEADER + "24 Papers\n\n" + "\n".join(cards))
    assert {p.key: p for p in record.papers} == {p.key: p for p in EXPECTED.papers}


def test_reordering_the_cards_gives_the_same_papers_in_html() -> None:
    cards = CARD_TEXTS[:]
    random.Random(7).shuffle(cards)
    html = "".join(
        f"<article>{''.join(f'<p>{line}</p>' for line in card.splitlines() if line)}</article>"
        for card in cards
    )
    record = parse(f"<main><h1>{HEADER.replace(chr(10), '<br>')}</h1>24 Papers{html}</main>")
    assert {p.key: p for p in record.papers} == {p.key: p for p in EXPECTED.papers}


# ---------------------------------------------------------------------------- robustness

PAGE_LINES = [line for line in PLAIN_TEXT.splitlines() if line] + [
    "<div>",
    "</p>",
    "<a href='/x'>Code</a>",
    "© 2025",
    "Feb 30, 2023",
    "h-index",
    "99999999999999999999 citations",
    "",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PAGE_LINES) | st.text(max_size=40), max_size=40))
def test_any_text_gives_a_record_or_a_parse_error(lines: list[str]) -> None:
    try:
        record = parse("\n".join(lines))
    except ParseError:
        return
    assert isinstance(record, ProfileRecord)
