"""The Google Scholar parser: every saved page as a table, then each rule on its own."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.errors import (
    BlockedError,
    LayoutChangedError,
    ParseError,
    TrackerError,
    UserInputError,
)
from tracker.records import ProfileRecord
from tracker.sources.base import Page
from tracker.sources.scholar import BLOCKED_HINT, SOURCE

FIXTURES = Path(__file__).parent / "fixtures" / "scholar"
FETCHED_AT = datetime(2026, 2, 16, 18, tzinfo=UTC)
AMIM = "gs_amIMrIEAAAAJ_2026-02-16.html"
LZ5D = [
    "gs_LZ5D_p4AAAAJ_2026-02-16T182029.html",
    "gs_LZ5D_p4AAAAJ_2026-02-16T182157.html",
    "gs_LZ5D_p4AAAAJ_2026-02-16T182334.html",
]
OLD = "old_2014_qAdaLov0AAAAJ.html"
SIGN_IN = "gs_signin_redirect_2026-02-16.html"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def list_url(user: str, host: str = "scholar.google.com", cstart: int = 0) -> str:
    return f"https://{host}/citations?user={user}&hl=en&cstart={cstart}&pagesize=100"


def parse(text: str, url: str | None = None) -> ProfileRecord:
    return SOURCE.parse(text, url=url or list_url("amIMrIEAAAAJ"), fetched_at=FETCHED_AT)


def with_stats(text: str, *values: str) -> str:
    """The page with its stats cells (all, since: citations, h-index, i10-index) rewritten."""
    cells = iter(values)
    return re.sub(
        r'(<td class="gsc_rsb_std">)[^<]*(</td>)', lambda m: f"{m[1]}{next(cells)}{m[2]}", text
    )


# ---------------------------------------------------------------------------- saved pages

SAVED_PAGES = [
    (AMIM, list_url("amIMrIEAAAAJ"), "gs_amIMrIEAAAAJ_2026-02-16"),
    *[(page, list_url("LZ5D_p4AAAAJ"), "gs_LZ5D_p4AAAAJ_2026-02-16") for page in LZ5D],
    (OLD, list_url("qAdaLov0AAAAJ", "scholar.google.co.uk"), "old_2014_qAdaLov0AAAAJ"),
]


@pytest.mark.parametrize(("page", "url", "expected"), SAVED_PAGES)
def test_each_saved_page_gives_its_expected_record(page: str, url: str, expected: str) -> None:
    record = parse(read(page), url)
    text = (FIXTURES / "expected" / f"{expected}.json").read_text(encoding="utf-8")
    assert record == ProfileRecord.model_validate_json(text)
    assert len({paper.key for paper in record.papers}) == len(record.papers)


def test_the_readme_numbers_of_the_2026_profile() -> None:
    record = parse(read(AMIM))
    assert record.source == "scholar"
    assert record.name == "Bangar Raju Cherukuri"
    assert record.affiliation == "Senior .NET Web Developer"
    assert record.email_domain == "dc.gov"
    assert record.interests == [
        "Web Development",
        "Artificial Intelligence",
        "Cloud Computing",
        "Machine Learning",
        "Deep Learning",
    ]
    assert record.metrics == {
        "citations": 425,
        "h_index": 11,
        "i10_index": 11,
        "citations_since": 417,
        "h_index_since": 11,
        "i10_index_since": 11,
        "since_year": 2021,
    }
    assert record.citations_per_year == {
        2020: 8, 2021: 20, 2022: 23, 2023: 26, 2024: 41, 2025: 95, 2026: 212,
    }  # fmt: skip
    assert sum(record.citations_per_year.values()) == 425
    assert len(record.papers) == 20
    assert record.warnings == []

    first, last = record.papers[0], record.papers[-1]
    assert first.key == "scholar:u5HHmVD_uO8C"
    assert first.title.startswith("Optimization of Data Structures and Trade-Offs")
    assert first.authors == ["BR Cherukuri", "V Arulkumar"]
    assert (first.citations, first.year) == (131, 2024)
    assert (
        first.venue == "2024 IEEE International Conference on Computing, Power and Communication …"
    )
    assert first.url == (
        "https://scholar.google.com/citations?view_op=view_citation&hl=en"
        "&user=amIMrIEAAAAJ&citation_for_view=amIMrIEAAAAJ:u5HHmVD_uO8C"
    )
    assert (last.title, last.citations, last.year) == (
        "Scalable machine learning model deployment using serverless cloud architectures",
        1,
        2022,
    )


def test_the_three_fetches_of_one_profile_give_identical_records() -> None:
    texts = [read(page) for page in LZ5D]
    assert len(set(texts)) == 3  # the bytes differ (event id, xsrf token)
    first, *others = [parse(text, list_url("LZ5D_p4AAAAJ")) for text in texts]
    assert all(other == first for other in others)
    assert first.name == "Doaa Elmatary"
    assert first.metrics["citations"] == 56
    assert len(first.papers) == 12


# ---------------------------------------------------------------------------- blocked, broken


def test_the_sign_in_page_is_blocked_not_an_empty_profile() -> None:
    text = read(SIGN_IN)
    assert SOURCE.recognises_content(text)
    with pytest.raises(BlockedError, match="sign-in") as caught:
        parse(text)
    assert caught.value.hint == BLOCKED_HINT
    with pytest.raises(BlockedError):
        SOURCE.parse_pages([Page(list_url("AAAAAAAAAAAA"), text)], fetched_at=FETCHED_AT)


SCHOLAR_CAPTCHA = """<!doctype html><html><head><title>Google Scholar</title></head><body>
<div id="gs_top"><div id="gs_captcha_ccl"><h1>Please show you're not a robot</h1>
<form id="gs_captcha_f" method="post" action="/citations?user=amIMrIEAAAAJ&amp;hl=en">
<div class="g-recaptcha" data-sitekey="6LfFDwUTAAAAAIyC8IeC3aGLqVpvrB6ZpkfmAibj"></div>
</form></div></div></body></html>"""

UNUSUAL_TRAFFIC = """<html><head><meta http-equiv="content-type" content="text/html">
<title>https://scholar.google.com/citations?user=amIMrIEAAAAJ&amp;hl=en</title></head>
<body><div style="max-width:400px;"><form id="captcha-form" action="index" method="post">
<div id="recaptcha" class="g-recaptcha" data-sitekey="6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b">
</div><input type="hidden" name="continue"
value="https://scholar.google.com/citations?user=amIMrIEAAAAJ&amp;hl=en"></form>
<div style="font-size:13px;"><b>About this page</b><br><br>Our systems have detected unusual
traffic from your computer network. This page checks to see if it's really you sending the
requests, and not a robot.</div></div></body></html>"""


@pytest.mark.parametrize(
    ("text", "says"),
    [(SCHOLAR_CAPTCHA, "CAPTCHA"), (UNUSUAL_TRAFFIC, "unusual traffic")],
)
def test_captcha_and_unusual_traffic_pages_are_blocked(text: str, says: str) -> None:
    assert SOURCE.recognises_content(text)
    with pytest.raises(BlockedError, match=says) as caught:
        parse(text)
    assert caught.value.hint == BLOCKED_HINT


def test_a_scholar_page_without_a_profile_is_a_layout_change() -> None:
    without_stats = re.sub(r'<table id="gsc_rsb_st">.*?</table>', "", read(AMIM))
    with pytest.raises(LayoutChangedError):
        parse(without_stats)
    home = "<html><head><title>Google Scholar</title></head><body><p>Stand on the shoulders"
    with pytest.raises(LayoutChangedError):
        parse(home)


@pytest.mark.parametrize(
    "text", ["", "just some words", "<html><body><h1>h-index 5, 20 papers</h1></body></html>"]
)
def test_anything_else_is_a_plain_parse_error(text: str) -> None:
    assert not SOURCE.recognises_content(text)
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert type(caught.value) is ParseError


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=150_000), drop=st.integers(0, 2_000))
def test_a_damaged_page_never_raises_anything_but_tracker_errors(cut: int, drop: int) -> None:
    text = read(AMIM)
    damaged = text[:cut] + text[cut + drop :]
    with contextlib.suppress(TrackerError):
        parse(damaged)


# ---------------------------------------------------------------------------- URLs and paging

A = "amIMrIEAAAAJ"


@pytest.mark.parametrize(
    ("url", "recognised"),
    [
        (f"https://scholar.google.com/citations?user={A}", True),
        (f"https://scholar.google.com/citations?user={A}&hl=en", True),
        (f"https://scholar.google.com/citations?hl=en&user={A}&view_op=list_works&sortby=title",
         True),
        (f"http://scholar.google.de/citations?user={A}&hl=de", True),
        (f"https://scholar.google.co.uk/citations?hl=en&oi=ao&user={A}", True),
        (f"https://scholar.google.com.br/citations?user={A}&hl=pt-BR", True),
        (f"https://scholar.google.co.jp/citations?cstart=20&pagesize=80&user={A}", True),
        (f"https://SCHOLAR.GOOGLE.FR/citations?user={A}", True),
        ("https://scholar.google.com/scholar?q=deep+learning", False),
        ("https://scholar.google.com/citations?view_op=search_authors&mauthors=lecun", False),
        (f"https://scholar.google.com/citations?view_op=view_citation&user={A}"
         f"&citation_for_view={A}:u5HHmVD_uO8C", False),
        ("https://scholar.google.com/citations?hl=en", False),
        (f"https://www.google.com/citations?user={A}", False),
        (f"https://google.com/citations?user={A}", False),
        (f"https://scholar.googleusercontent.com/citations?view_op=view_photo&user={A}", False),
        (f"https://scholar.google.com.evil.example/citations?user={A}", False),
        (f"ftp://scholar.google.com/citations?user={A}", False),
        ("https://openalex.org/authors/A5023888391", False),
        ("not a url", False),
    ],
)  # fmt: skip
def test_recognises_profile_urls_on_every_scholar_domain(url: str, recognised: bool) -> None:
    assert SOURCE.recognises_url(url) is recognised


@pytest.mark.parametrize(
    ("url", "first_page"),
    [
        (f"https://scholar.google.com/citations?user={A}", list_url(A)),
        (
            f"http://scholar.google.de/citations?hl=de&user={A}&view_op=list_works&sortby=pubdate",
            list_url(A, "scholar.google.de"),
        ),
        (
            f"https://scholar.google.co.uk/citations?cstart=40&user={A}&pagesize=20",
            list_url(A, "scholar.google.co.uk"),
        ),
    ],
)
def test_request_url_is_the_canonical_first_page(url: str, first_page: str) -> None:
    assert SOURCE.request_url(url) == first_page


def test_request_url_refuses_other_urls() -> None:
    with pytest.raises(UserInputError):
        SOURCE.request_url("https://scholar.google.com/scholar?q=x")


def test_next_url_follows_an_enabled_show_more_button() -> None:
    text = read(AMIM)  # "Articles 1-20", the button has no `disabled`
    page = Page(f"https://scholar.google.de/citations?user={A}&hl=en", text)
    assert SOURCE.next_url(page) == list_url(A, "scholar.google.de", cstart=20)
    # Without a URL the page's canonical link names the profile.
    assert SOURCE.next_url(Page(None, text)) == list_url(A, cstart=20)


@pytest.mark.parametrize("page", [LZ5D[0], OLD])
def test_next_url_stops_at_a_disabled_show_more_button(page: str) -> None:
    assert SOURCE.next_url(Page(list_url("LZ5D_p4AAAAJ"), read(page))) is None


def test_next_url_stops_without_a_show_more_button_or_on_a_blocked_page() -> None:
    without_button = read(AMIM).replace('id="gsc_bpf_more"', 'id="gone"')
    assert SOURCE.next_url(Page(list_url(A), without_button)) is None
    assert SOURCE.next_url(Page(list_url(A), read(SIGN_IN))) is None


def synthetic_page(first: int, count: int, *, last: bool) -> str:
    """The 2026 profile page holding papers first..first+count-1, built from its own rows."""
    text = read(AMIM)
    body = re.search(r'(<tbody id="gsc_a_b">)(.*?)(</tbody>)', text, re.DOTALL)
    assert body is not None
    template = re.search(r'<tr class="gsc_a_tr">.*?</tr>', body.group(2))
    assert template is not None
    rows = "".join(
        template.group()
        .replace(f"{A}:u5HHmVD_uO8C", f"{A}:P{n:05d}")
        .replace(">Optimization of Data Structures", f">Paper {n}: Optimization of Data Structures")
        for n in range(first, first + count)
    )
    text = text[: body.start(2)] + rows + text[body.end(2) :]
    if last:
        text = text.replace('id="gsc_bpf_more"', 'id="gsc_bpf_more" disabled')
    return text


def test_a_profile_of_250_papers_is_fetched_as_three_pages() -> None:
    served = {
        0: synthetic_page(0, 100, last=False),
        100: synthetic_page(100, 100, last=False),
        200: synthetic_page(200, 50, last=True),
    }
    pages: list[Page] = []
    url: str | None = SOURCE.request_url(f"https://scholar.google.com/citations?hl=de&user={A}")
    while url is not None:
        cstart = int(re.search(r"cstart=(\d+)", url).group(1))  # type: ignore[union-attr]
        pages.append(Page(url, served[cstart]))
        url = SOURCE.next_url(pages[-1])

    assert [page.url for page in pages] == [list_url(A, cstart=n) for n in (0, 100, 200)]
    record = SOURCE.parse_pages(pages, fetched_at=FETCHED_AT)
    assert [paper.key for paper in record.papers] == [f"scholar:P{n:05d}" for n in range(250)]
    assert record.papers[249].title.startswith("Paper 249: ")
    assert record.metrics["citations"] == 425  # the profile comes from the first page


def test_parse_pages_keeps_the_first_of_a_paper_listed_twice() -> None:
    # Between two page fetches papers move (they gained citations) and show up again.
    second = synthetic_page(99, 51, last=True).replace(f"{A}:P00120", f"{A}:P00005")
    pages = [
        Page(list_url(A), synthetic_page(0, 100, last=False)),
        Page(list_url(A, cstart=100), second),
    ]
    record = SOURCE.parse_pages(pages, fetched_at=FETCHED_AT)
    expected = [n for n in range(150) if n != 120]
    assert [p.key for p in record.papers] == [f"scholar:P{n:05d}" for n in expected]
    assert record.papers[5].title.startswith("Paper 5: ")


def test_parse_pages_refuses_no_pages_and_a_blocked_later_page() -> None:
    with pytest.raises(ParseError):
        SOURCE.parse_pages([], fetched_at=FETCHED_AT)
    pages = [Page(list_url(A), read(AMIM)), Page(list_url(A, cstart=20), SCHOLAR_CAPTCHA)]
    with pytest.raises(BlockedError):
        SOURCE.parse_pages(pages, fetched_at=FETCHED_AT)


# ---------------------------------------------------------------------------- numbers and marks


@pytest.mark.parametrize(
    ("written", "value"),
    [("18.747", 18_747), ("18,747", 18_747), ("1,234,567", 1_234_567), ("1.234.567", 1_234_567)],
)
def test_thousands_separators_either_way(written: str, value: int) -> None:
    text = with_stats(read(AMIM), written, "417", "11", "11", "11", "11")
    text = text.replace('class="gsc_a_ac gs_ibl">131<', f'class="gsc_a_ac gs_ibl">{written}<')
    record = parse(text)
    assert record.metrics["citations"] == value
    assert record.papers[0].citations == value


def test_an_empty_cited_by_cell_is_zero_citations() -> None:
    record = parse(read(LZ5D[0]), list_url("LZ5D_p4AAAAJ"))
    uncited = [p for p in record.papers if p.title.startswith("Intelligent Sign Multi-Language")]
    assert [(p.citations, p.year) for p in uncited] == [(0, 2023)]
    assert uncited[0].title == (
        "Intelligent Sign Multi-Language Real-Time Prediction System with Effective Data "
        "Preprocessing"
    )
    assert record.papers[-1].year is None  # an empty year cell
    assert record.papers[-1].venue is None


def test_a_paper_link_that_does_not_parse_leaves_that_paper_without_a_url() -> None:
    page = read(LZ5D[0])
    link = re.search(r'href="(/citations\?[^"]*citation_for_view=[^"]*)"', page)
    assert link is not None
    start, end = link.span(1)
    broken = page[:start] + "//[" + page[start + 1 : end] + page[end:]
    record, intact = parse(broken, list_url("LZ5D_p4AAAAJ")), parse(page, list_url("LZ5D_p4AAAAJ"))
    assert [p.url is None for p in record.papers] == [i == 0 for i in range(len(record.papers))]
    assert record.papers[0].key == intact.papers[0].key


def test_invisible_bidi_marks_are_stripped_from_names_and_titles() -> None:
    text = read(AMIM).replace(
        '<div id="gsc_prf_in">Bangar Raju Cherukuri</div>',
        '<div id="gsc_prf_in">\u202aBangar Raju\u200e Cherukuri\u202c</div>',
    )
    text = text.replace(">Optimization of Data", ">\u202b\u200fOptimization of Data")
    record = parse(text)
    assert record.name == "Bangar Raju Cherukuri"
    assert record.papers[0].title.startswith("Optimization of Data")


# ---------------------------------------------------------------------------- histogram


def test_a_year_without_citations_has_no_bar_and_does_not_shift_the_others() -> None:
    record = parse(read(LZ5D[0]), list_url("LZ5D_p4AAAAJ"))
    # The page labels 2012..2025 but draws no bar for 2017 and 2020 (z-index 9 and 6).
    assert record.citations_per_year == {
        2012: 4, 2013: 4, 2014: 5, 2015: 4, 2016: 2, 2017: 0, 2018: 3,
        2019: 3, 2020: 0, 2021: 2, 2022: 3, 2023: 9, 2024: 7, 2025: 9,
    }  # fmt: skip
    since_2021 = sum(n for year, n in record.citations_per_year.items() if year >= 2021)
    assert since_2021 == record.metrics["citations_since"] == 30


def test_bars_tied_by_z_index_alone_and_by_position_alone_agree() -> None:
    text = read(LZ5D[0])
    by_z_index = re.sub(r'class="gsc_g_a" style="right:\d+px;', 'class="gsc_g_a" style="', text)
    by_position = re.sub(r";z-index:\d+", "", text)
    expected = parse(text).citations_per_year
    assert parse(by_z_index).citations_per_year == expected
    assert parse(by_position).citations_per_year == expected


def test_bars_whose_z_index_and_position_disagree_are_left_out_with_a_warning() -> None:
    swapped = {"7": "1", "1": "7"}  # the first and the last bar trade z-index
    text = re.sub(r'z-index:(\d)"', lambda m: f'z-index:{swapped.get(m[1], m[1])}"', read(AMIM))
    record = parse(text)
    assert record.citations_per_year == {}
    assert any("histogram" in warning for warning in record.warnings)


def test_an_old_chart_image_gives_citations_per_year() -> None:
    chart = (
        '<img src="https://chart.googleapis.com/chart?cht=bvs&amp;chs=230x130'
        "&amp;chd=t:51,60,75,-1,120&amp;chds=0,162&amp;chxt=x,y"
        '&amp;chxl=0:|2008|2009|2010|2011|2012|1:|0|162" alt="">'
    )
    text = re.sub(r'<div id="gsc_g">.*?</div>\n</div>', chart, read(OLD), flags=re.DOTALL)
    assert "gsc_g_t" not in text
    record = parse(text, list_url("qAdaLov0AAAAJ"))
    assert record.citations_per_year == {2008: 51, 2009: 60, 2010: 75, 2011: 0, 2012: 120}


# ---------------------------------------------------------------------------- older markup


def test_the_older_markup_reads_its_own_way() -> None:
    record = parse(read(OLD), list_url("qAdaLov0AAAAJ", "scholar.google.co.uk"))
    assert record.name == "Ada Lovelace"  # wrapped in U+202A/U+202C on the page
    assert record.affiliation == "Analyst, University of London"
    assert record.interests == ["Analytical Engines", "Poetical Science"]  # gsc_prf_ila links
    assert record.email_domain == "london.ac.uk"
    assert record.citations_per_year[2011] == 0  # no bar; bars tied by their `left` offset
    sketch, notes, letters, poetry = record.papers
    assert sketch.citations == 1087
    assert (notes.key, notes.url) == (
        "scholar:d1gkVwhDpl0C",
        "https://scholar.google.co.uk/citations?view_op=view_citation&hl=en"
        "&user=qAdaLov0AAAAJ&citation_for_view=qAdaLov0AAAAJ:d1gkVwhDpl0C",
    )  # from `data-href`
    assert notes.authors == ["A Lovelace", "C Babbage", "M Somerville"]
    assert notes.authors_truncated
    assert (notes.venue, notes.year) == ("Taylor's Scientific Memoirs", 1843)
    assert letters.title == "Letters on the calculus of the nervous system"
    assert (letters.citations, poetry.citations, poetry.year) == (0, 0, None)


def test_the_text_fallbacks_read_the_older_page_without_its_ids() -> None:
    text = read(OLD)
    stripped = (
        text.replace('id="gsc_rsb_st"', "")
        .replace('id="gsc_prf_in"', "")
        .replace('class="gsc_a_tr"', "")
        .replace('id="gsc_prf_i"', "")
    )
    assert parse(stripped, list_url("qAdaLov0AAAAJ")) == parse(text, list_url("qAdaLov0AAAAJ"))


# ---------------------------------------------------------------------------- impossible values


def test_impossible_stats_are_kept_and_flagged() -> None:
    record = parse(with_stats(read(AMIM), "425", "500", "30", "11", "11", "11"))
    assert (record.metrics["h_index"], record.metrics["citations_since"]) == (30, 500)
    assert record.warnings == [
        "all-time h-index 30 is impossible with 425 citations "
        "(an h-index of 30 needs at least 900)",
        "citations since 2021 (500) is larger than the all-time citations (425)",
    ]


def test_an_h_index_below_the_i10_index_is_flagged() -> None:
    record = parse(with_stats(read(AMIM), "425", "417", "4", "4", "11", "11"))
    assert record.warnings == [
        "all-time h-index 4 is impossible with an i10-index of 11 "
        "(which makes the h-index at least 10)",
        "since-2021 h-index 4 is impossible with an i10-index of 11 "
        "(which makes the h-index at least 10)",
    ]


def test_papers_cited_more_than_the_total_is_not_flagged() -> None:
    # Scholar counts a citation once in the total but under every version of a paper.
    text = read(AMIM).replace('class="gsc_a_ac gs_ibl">131<', 'class="gsc_a_ac gs_ibl">9000<')
    assert parse(text).warnings == []
