"""The OpenAlex and Semantic Scholar API sources: real saved responses, URLs, paging, bad input.

Every expected value below was read off the saved JSON by eye, not copied from parser output.
"""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.errors import LayoutChangedError, ParseError, UserInputError
from tracker.records import Paper, ProfileRecord
from tracker.sources import openalex, semantic_scholar
from tracker.sources.base import Page

FIXTURES = Path(__file__).parent / "fixtures"
FETCHED_AT = datetime(2026, 1, 15, tzinfo=UTC)
OPENALEX = openalex.SOURCE
S2 = semantic_scholar.SOURCE

PRIEM = "openalex/author_A5023888391_Priem.json"
MEARMAN = "openalex/author_A5017898742.json"
MEARMAN_WORKS = "openalex/works_author_A5017898742_per_page5.json"
TURING = "semanticscholar/author_2262347_with_papers.json"

OPENALEX_API = "https://api.openalex.org"
MEARMAN_URL = f"{OPENALEX_API}/authors/A5017898742"
MEARMAN_WORKS_URL = (
    f"{OPENALEX_API}/works?filter=authorships.author.id:A5017898742&per-page=200&cursor=*"
)
CURSOR = "IlsxNjA5MzcyODAwMDAwLCAnaHR0cHM6Ly9vcGVuYWxleC5vcmcvVzI0ODg0OTk1NDYnXSI="
CURSOR_IN_URL = CURSOR.replace("=", "%3D")
S2_API = "https://api.semanticscholar.org/graph/v1/author"
S2_AUTHOR_FIELDS = "fields=name,affiliations,homepage,paperCount,citationCount,hIndex"
S2_PAPER_FIELDS = "fields=title,year,authors,venue,publicationDate,citationCount,externalIds,url"
TURING_URL = f"{S2_API}/2262347?{S2_AUTHOR_FIELDS}"


def text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def data(name: str) -> Any:
    return json.loads(text(name))


def parse_openalex(*pages: Page) -> ProfileRecord:
    return OPENALEX.parse_pages(pages, fetched_at=FETCHED_AT)


def parse_s2(*pages: Page) -> ProfileRecord:
    return S2.parse_pages(pages, fetched_at=FETCHED_AT)


def paper(record: ProfileRecord, key: str) -> Paper:
    [found] = [p for p in record.papers if p.key == key]
    return found


# ---------------------------------------------------------------------------- OpenAlex: real


def test_openalex_priem_author_alone() -> None:
    record = parse_openalex(Page(f"{OPENALEX_API}/authors/A5023888391", text(PRIEM)))
    assert record.source == "openalex"
    assert record.url == f"{OPENALEX_API}/authors/A5023888391"
    assert record.fetched_at == FETCHED_AT
    assert record.name == "Jason Priem"
    assert record.affiliation == "OpenAlex"
    assert record.metrics == {
        "paper_count": 62,
        "citations": 3984,
        "h_index": 17,
        "i10_index": 20,
        "two_year_mean_citedness": 6,
    }
    assert record.citations_per_year == {
        2025: 173,
        2024: 315,
        2023: 318,
        2022: 318,
        2021: 354,
        2020: 432,
        2019: 370,
        2018: 320,
        2017: 303,
        2016: 236,
        2015: 357,
        2014: 317,
        2013: 260,
        2012: 98,
    }
    assert record.interests == [
        "scientometrics and bibliometrics research",
        "Research Data Management Practices",
        "Wikis in Education and Collaboration",
        "Scientific Computing and Data Management",
        "Semantic Web and Ontologies",
    ]
    assert record.papers == []
    assert record.warnings == []


def test_openalex_mearman_author_alone() -> None:
    record = parse_openalex(Page(MEARMAN_URL, text(MEARMAN)))
    assert record.name == "Joseph Mearman"
    assert record.affiliation == "Bangor University"
    assert record.metrics == {
        "paper_count": 9,
        "citations": 41,
        "h_index": 2,
        "i10_index": 2,
        "two_year_mean_citedness": 0,
    }
    assert record.citations_per_year == {
        2025: 2,
        2024: 2,
        2023: 5,
        2022: 2,
        2021: 7,
        2020: 5,
        2019: 5,
        2018: 8,
        2017: 3,
        2016: 2,
        2015: 0,
        2014: 0,
    }
    assert record.interests == [
        "Augmented Reality Applications",
        "3D Surveying and Cultural Heritage",
        "Interactive and Immersive Displays",
        "Conservation Techniques and Studies",
        "Data Visualization and Analytics",
    ]
    assert record.papers == []


def test_openalex_mearman_with_the_first_works_page() -> None:
    record = parse_openalex(
        Page(MEARMAN_URL, text(MEARMAN)), Page(MEARMAN_WORKS_URL, text(MEARMAN_WORKS))
    )
    assert record.metrics["paper_count"] == 9  # from works_count, not from the works read
    assert [p.key for p in record.papers] == [
        "doi:10.1145/2795233",
        "openalex:W3200026003",
        "openalex:W2612755892",
        "doi:10.48550/arxiv.2108.04680",
        "openalex:W2241997964",
    ]
    # The saved page is page 1 of 2 (meta.count 9, per_page 5): a short read says so.
    assert record.warnings == ["the OpenAlex works list counts 9 works but 5 were read"]
    assert paper(record, "doi:10.1145/2795233") == Paper(
        key="doi:10.1145/2795233",
        title="Alternative Representations of 3D-Reconstructed Heritage Data",
        authors=[
            "Helen Cabot Miles",
            "Andrew T. Wilson",
            "Frédéric Labrosse",
            "Bernard Tiddeman",
            "Seren Griffiths",
            "Ben Edwards",
            "Panagiotis D. Ritsos",
            "Joseph Mearman",
            "Katharina Möller",
            "Raimund Karl",
            "Jonathan C. Roberts",
        ],
        published=date(2015, 11, 16),
        year=2015,
        venue="Journal on Computing and Cultural Heritage",
        url="https://doi.org/10.1145/2795233",
        doi="10.1145/2795233",
        citations=28,
    )
    assert paper(record, "openalex:W3200026003") == Paper(
        key="openalex:W3200026003",
        title="Synthetic visualizations in web-based mixed reality",
        authors=["Panagiotis D. Ritsos", "Joseph Mearman", "James Jackson", "Jonathan C. Roberts"],
        published=date(2017, 10, 1),
        year=2017,
        venue="IEEE Visualization",
        url="https://openalex.org/W3200026003",
        citations=10,
    )
    assert paper(record, "doi:10.48550/arxiv.2108.04680").arxiv_id == "2108.04680"
    assert paper(record, "doi:10.48550/arxiv.2108.04680").venue == "arXiv (Cornell University)"
    # primary_location.source is null for this one.
    assert paper(record, "openalex:W2241997964") == Paper(
        key="openalex:W2241997964",
        title="Harnessing Photogrammetry to Create Alternative Views in Heritage",
        authors=["Joel Roberts", "Joseph Mearman", "Andrew Wilson"],
        published=date(2014, 5, 22),
        year=2014,
        venue=None,
        url="https://openalex.org/W2241997964",
        citations=0,
    )


WORKS_ALONE = "parsed from a works list alone: citations and h-index need the author object"
MEARMAN_WORK_KEYS = [
    "doi:10.1145/2795233",
    "openalex:W3200026003",
    "openalex:W2612755892",
    "doi:10.48550/arxiv.2108.04680",
    "openalex:W2241997964",
]


@pytest.mark.parametrize("url", [None, MEARMAN_WORKS_URL])
def test_openalex_works_list_alone(url: str | None) -> None:
    record = parse_openalex(Page(url, text(MEARMAN_WORKS)))
    # Joseph Mearman (A5017898742) is the one author on all five works, and the URL's filter.
    assert record.source == "openalex"
    assert record.url == url
    assert record.fetched_at == FETCHED_AT
    assert record.name == "Joseph Mearman"
    # His latest work with an institution, W3188841554 of 2021, places him at Bangor University.
    assert record.affiliation == "Bangor University"
    assert record.interests == []
    assert record.metrics == {"paper_count": 9}  # meta.count: no citations, no h-index
    assert record.citations_per_year == {}
    assert [p.key for p in record.papers] == MEARMAN_WORK_KEYS
    assert paper(record, "openalex:W2241997964") == Paper(
        key="openalex:W2241997964",
        title="Harnessing Photogrammetry to Create Alternative Views in Heritage",
        authors=["Joel Roberts", "Joseph Mearman", "Andrew Wilson"],
        published=date(2014, 5, 22),
        year=2014,
        url="https://openalex.org/W2241997964",
        citations=0,
    )
    assert paper(record, "doi:10.48550/arxiv.2108.04680") == Paper(
        key="doi:10.48550/arxiv.2108.04680",
        title=(
            "3D Visualisations Should Not be Displayed Alone - "
            "Encouraging a Need for Multivocality in Visualisation"
        ),
        authors=[
            "Jonathan C. Roberts",
            "Joseph Mearman",
            "Peter Butcher",
            "Hayder Mahdi Abdullah Al-Maneea",
            "Panagiotis D. Ritsos",
        ],
        published=date(2021, 1, 1),
        year=2021,
        venue="arXiv (Cornell University)",
        url="https://doi.org/10.48550/arxiv.2108.04680",
        arxiv_id="2108.04680",
        doi="10.48550/arxiv.2108.04680",
        citations=2,
    )
    assert record.warnings == [
        WORKS_ALONE,
        "the OpenAlex works list counts 9 works but 5 were read",
    ]
    with_author = parse_openalex(
        Page(MEARMAN_URL, text(MEARMAN)), Page(MEARMAN_WORKS_URL, text(MEARMAN_WORKS))
    )
    assert record.papers == with_author.papers


def test_openalex_works_list_alone_names_the_author_of_its_url() -> None:
    # Jonathan C. Roberts (A5009341822) is on four of the five works; the filter names him.
    url = MEARMAN_WORKS_URL.replace("A5017898742", "A5009341822")
    record = parse_openalex(Page(url, text(MEARMAN_WORKS)))
    assert record.name == "Jonathan C. Roberts"
    assert record.affiliation == "Bangor University"
    assert record.metrics == {"paper_count": 9}


def test_openalex_works_list_alone_of_a_merged_author_falls_back_to_the_common_author() -> None:
    url = MEARMAN_WORKS_URL.replace("A5017898742", "A1111111111")  # on no work
    assert parse_openalex(Page(url, text(MEARMAN_WORKS))).name == "Joseph Mearman"


def test_openalex_works_list_alone_takes_the_latest_institution() -> None:
    page = data(MEARMAN_WORKS)
    # W2612755892 (2014) places him in Bangor; the later W3188841554 (2021) now elsewhere.
    mearman = page["results"][3]["authorships"][1]
    assert mearman["author"]["display_name"] == "Joseph Mearman"
    mearman["institutions"] = [{"display_name": "Elsewhere University"}]
    assert parse_openalex(Page(None, json.dumps(page))).affiliation == "Elsewhere University"
    for work in page["results"]:
        for authorship in work["authorships"]:
            authorship["institutions"] = []
    assert parse_openalex(Page(None, json.dumps(page))).affiliation is None


def works_page_of(indexes: list[int], *, drop_mearman_from: int | None = None) -> str:
    """The real works page with only the works at `indexes`, perhaps one without Mearman."""
    page = data(MEARMAN_WORKS)
    if drop_mearman_from is not None:
        del page["results"][drop_mearman_from]["authorships"][1]  # his place on every work
    page["results"] = [page["results"][i] for i in indexes]
    return json.dumps(page)


@pytest.mark.parametrize(
    "body",
    [
        # Without Mearman on the last work, no one author is on all five.
        works_page_of([0, 1, 2, 3, 4], drop_mearman_from=4),
        # Roberts, Mearman and Ritsos are on both W2612755892 and W3188841554.
        works_page_of([2, 3]),
        works_page_of([]),
    ],
)
def test_openalex_works_list_alone_without_one_common_author_is_a_parse_error(body: str) -> None:
    with pytest.raises(ParseError, match="cannot tell whose works") as raised:
        parse_openalex(Page(None, body))
    assert type(raised.value) is ParseError


def test_openalex_works_list_alone_with_a_url_needs_no_common_author() -> None:
    record = parse_openalex(Page(MEARMAN_WORKS_URL, works_page_of([2, 3])))
    assert record.name == "Joseph Mearman"
    assert [p.key for p in record.papers] == MEARMAN_WORK_KEYS[2:4]


def second_works_page() -> dict[str, Any]:
    """The last page of the works list (works 6 to 9 of 9), made from the real page 1 by giving
    its works new ids."""
    page: dict[str, Any] = data(MEARMAN_WORKS)
    page["meta"]["next_cursor"] = None
    for work in page["results"][:4]:
        work["id"] = work["id"].replace("/W", "/W9")
        if work["doi"]:
            work["doi"] = work["doi"].replace("doi.org/", "doi.org/10.9999/copy-")
    del page["results"][4]
    return page


def test_openalex_pages_add_up_to_the_union_of_their_works() -> None:
    first = data(MEARMAN_WORKS)
    first["meta"]["next_cursor"] = CURSOR
    second_url = MEARMAN_WORKS_URL.replace("cursor=*", f"cursor={CURSOR_IN_URL}")
    record = parse_openalex(
        Page(MEARMAN_URL, text(MEARMAN)),
        Page(MEARMAN_WORKS_URL, json.dumps(first)),
        Page(second_url, json.dumps(second_works_page())),
    )
    assert [p.key for p in record.papers] == [
        "doi:10.1145/2795233",
        "openalex:W3200026003",
        "openalex:W2612755892",
        "doi:10.48550/arxiv.2108.04680",
        "openalex:W2241997964",
        "doi:10.9999/copy-10.1145/2795233",
        "openalex:W93200026003",
        "openalex:W92612755892",
        "doi:10.9999/copy-10.48550/arxiv.2108.04680",
    ]
    assert record.warnings == []  # 9 works listed, 9 read


def test_openalex_repeated_doi_keeps_the_first_work_and_says_so() -> None:
    page = data(MEARMAN_WORKS)
    page["results"][1]["doi"] = page["results"][0]["doi"].upper()
    record = parse_openalex(Page(MEARMAN_URL, text(MEARMAN)), Page(None, json.dumps(page)))
    assert [p.key for p in record.papers].count("doi:10.1145/2795233") == 1
    assert paper(record, "doi:10.1145/2795233").citations == 28
    assert "a second paper with the key doi:10.1145/2795233 was skipped" in record.warnings


def test_openalex_work_without_title_is_skipped_with_a_warning() -> None:
    page = data(MEARMAN_WORKS)
    page["meta"]["count"] = 5
    page["results"][2]["display_name"] = None
    page["results"][2]["title"] = None
    record = parse_openalex(Page(MEARMAN_URL, text(MEARMAN)), Page(None, json.dumps(page)))
    assert len(record.papers) == 4
    assert record.warnings == [
        "the OpenAlex work https://openalex.org/W2612755892 has no title and was skipped"
    ]


def test_openalex_older_author_shape() -> None:
    author = data(MEARMAN)
    del author["last_known_institutions"], author["topics"]
    author["last_known_institution"] = {"display_name": "Bangor University"}
    record = parse_openalex(Page(None, json.dumps(author)))
    assert record.affiliation == "Bangor University"
    assert record.interests[:2] == ["Computer science", "Operating system"]  # x_concepts


# ---------------------------------------------------------------------------- S2: real

TURING_PAPERS = data(TURING)["papers"]


def turing_without_papers() -> str:
    author = data(TURING)
    del author["papers"]
    return json.dumps(author)


def test_semantic_scholar_turing_with_embedded_papers() -> None:
    record = parse_s2(Page(TURING_URL, text(TURING)))
    assert record.source == "semantic_scholar"
    assert record.url == TURING_URL
    assert record.name == "A. Turing"
    assert record.affiliation is None  # "affiliations": []
    assert record.metrics == {"h_index": 23, "citations": 12415, "paper_count": 60}
    assert record.citations_per_year == {}
    assert record.warnings == []
    assert len(record.papers) == 60
    # 32 of the 60 papers carry a DOI in externalIds, none an ArXiv id.
    assert sum(p.key.startswith("doi:") for p in record.papers) == 32
    assert sum(p.key.startswith("s2:") for p in record.papers) == 28
    assert record.papers[0] == Paper(
        key="s2:5d10faffeae5e9f2ae868626b29e6e9b8047cecb",
        title="Dystopian or Utopian? Two Images of Alan Turing",
        authors=["A. Turing"],
        year=2022,
        venue=None,  # "venue": ""
        url="https://www.semanticscholar.org/paper/5d10faffeae5e9f2ae868626b29e6e9b8047cecb",
        citations=0,
    )
    assert record.papers[3] == Paper(
        key="doi:10.1080/01611194.2019.1650846",
        title="Review of two collections of essays about Alan Turing",
        authors=[
            "A. Turing",
            "Jonathan P. Bowen",
            "Mark D. Sprevak",
            "Robin J. Wilson",
            "A. Bokulich",
        ],
        published=date(2020, 1, 2),
        year=2020,
        venue="Cryptologia",
        url="https://www.semanticscholar.org/paper/6b7b392d5f3284a78fd559439bc735f3f0b08bae",
        doi="10.1080/01611194.2019.1650846",
        citations=0,
    )
    assert record.papers[51] == Paper(
        key="doi:10.1093/mind/lix.236.433",
        title="Computing Machinery and Intelligence",
        authors=["A. Turing"],
        published=date(1950, 10, 1),
        year=1950,
        venue="The Philosophy of Artificial Intelligence",
        url="https://www.semanticscholar.org/paper/2d5673caa9e6af3a7b82a43f19ee920992db07ad",
        doi="10.1093/MIND/LIX.236.433",
        citations=8596,
    )
    assert record.papers[59].year is None
    assert record.papers[59].title == "Computing Machinery and Intelligence 1. the Imitation Game"


def test_semantic_scholar_author_alone_has_no_papers_and_no_warning() -> None:
    record = parse_s2(Page(TURING_URL, turing_without_papers()))
    assert record.metrics == {"h_index": 23, "citations": 12415, "paper_count": 60}
    assert record.papers == []
    assert record.warnings == []


def test_semantic_scholar_papers_pages_add_up_to_the_embedded_papers() -> None:
    first = {"offset": 0, "next": 40, "data": TURING_PAPERS[:40]}
    second = {"offset": 40, "data": TURING_PAPERS[40:]}
    record = parse_s2(
        Page(TURING_URL, turing_without_papers()),
        Page(f"{S2_API}/2262347/papers?offset=0", json.dumps(first)),
        Page(f"{S2_API}/2262347/papers?offset=40", json.dumps(second)),
    )
    assert record.papers == parse_s2(Page(TURING_URL, text(TURING))).papers
    assert record.warnings == []


def test_semantic_scholar_arxiv_id_is_the_key_without_a_doi() -> None:
    author = data(TURING)
    author["papers"][0]["externalIds"]["ArXiv"] = "2108.04680"
    author["papers"][1]["externalIds"]["ArXiv"] = "2108.04681"
    record = parse_s2(Page(None, json.dumps(author)))
    assert record.papers[0].key == "arxiv:2108.04680"
    assert record.papers[0].arxiv_id == "2108.04680"
    assert record.papers[1].key == "doi:10.1016/b978-044450423-4/50007-3"  # a DOI wins
    assert record.papers[1].arxiv_id == "2108.04681"


def test_semantic_scholar_short_read_is_a_warning() -> None:
    page = {"offset": 0, "data": TURING_PAPERS[:10]}
    record = parse_s2(Page(None, turing_without_papers()), Page(None, json.dumps(page)))
    assert len(record.papers) == 10
    assert record.warnings == ["Semantic Scholar states 60 papers but 10 were read"]


# ---------------------------------------------------------------------------- URLs

A_PRIEM = f"{OPENALEX_API}/authors/A5023888391"
CARBERRY = f"{OPENALEX_API}/authors/orcid:0000-0002-1825-0097"
X_CHECK_DIGIT = f"{OPENALEX_API}/authors/orcid:0000-0002-1694-233X"

OPENALEX_URLS = [
    ("https://openalex.org/A5023888391", A_PRIEM),
    ("https://openalex.org/authors/A5023888391", A_PRIEM),
    ("https://api.openalex.org/authors/A5023888391", A_PRIEM),
    ("https://api.openalex.org/authors/a5023888391", A_PRIEM),
    ("http://openalex.org/a5023888391/", A_PRIEM),
    ("https://OpenAlex.org/A5023888391?tab=works", A_PRIEM),
    ("https://orcid.org/0000-0002-1825-0097", CARBERRY),
    ("0000-0002-1825-0097", CARBERRY),
    ("  0000-0002-1825-0097\n", CARBERRY),
    (CARBERRY, CARBERRY),
    ("https://orcid.org/0000-0002-1694-233X", X_CHECK_DIGIT),
    ("0000-0002-1694-233X", X_CHECK_DIGIT),
    ("0000-0002-1694-233x", X_CHECK_DIGIT),
]
NOT_OPENALEX = [
    "https://openalex.org/W2250748100",
    "https://openalex.org/I4200000001",
    "https://openalex.org/A",
    "https://openalex.org/authors",
    MEARMAN_WORKS_URL,
    "https://example.org/authors/A5023888391",
    "https://openalex.org.example.com/A5023888391",
    "https://example.com/openalex.org/A5023888391",
    "ftp://openalex.org/A5023888391",
    "openalex.org/A5023888391",
    "A5023888391",
    "https://openalex.org/A\u0665\u0665\u0665",  # Arabic-Indic digits
    "https://orcid.org/0000-0002-1825-009",
    "https://orcid.org/0000-0002-1825-0097/works",
    "0000-0002-1825-00977",
    "0000-0002-1825-009Y",
    "0000-0002-182X-0097",
    "",
    "http://[::1",
    "https://scholar.google.com/citations?user=amIMrIEAAAAJ",
]
S2_URLS = [
    ("https://www.semanticscholar.org/author/A.-Turing/2262347", TURING_URL),
    ("https://www.semanticscholar.org/author/2262347", TURING_URL),
    ("https://semanticscholar.org/author/Alan-Turing/2262347/", TURING_URL),
    ("https://www.semanticscholar.org/author/A.-Turing/2262347?sort=pub-date", TURING_URL),
    ("https://api.semanticscholar.org/graph/v1/author/2262347", TURING_URL),
    (TURING_URL, TURING_URL),
]
NOT_S2 = [
    "https://www.semanticscholar.org/paper/2d5673caa9e6af3a7b82a43f19ee920992db07ad",
    "https://www.semanticscholar.org/author/A.-Turing",
    "https://www.semanticscholar.org/author/A.-Turing/2262347/papers",
    f"{S2_API}/2262347/papers",
    "https://api.semanticscholar.org/graph/v1/paper/2262347",
    "https://api.semanticscholar.org/author/2262347",
    "https://example.com/author/A.-Turing/2262347",
    "https://www.semanticscholar.org/author/A.-Turing/\u0662\u0662",
    "2262347",
    "",
]


@pytest.mark.parametrize(("url", "request_url"), OPENALEX_URLS)
def test_openalex_urls(url: str, request_url: str) -> None:
    assert OPENALEX.recognises_url(url)
    assert OPENALEX.request_url(url) == request_url
    assert not S2.recognises_url(url)


@pytest.mark.parametrize("url", NOT_OPENALEX)
def test_not_openalex_urls(url: str) -> None:
    assert not OPENALEX.recognises_url(url)
    with pytest.raises(UserInputError):
        OPENALEX.request_url(url)


@pytest.mark.parametrize(("url", "request_url"), S2_URLS)
def test_semantic_scholar_urls(url: str, request_url: str) -> None:
    assert S2.recognises_url(url)
    assert S2.request_url(url) == request_url
    assert not OPENALEX.recognises_url(url)


@pytest.mark.parametrize("url", NOT_S2)
def test_not_semantic_scholar_urls(url: str) -> None:
    assert not S2.recognises_url(url)
    with pytest.raises(UserInputError):
        S2.request_url(url)


# ---------------------------------------------------------------------------- paging


def test_openalex_page_chain() -> None:
    first = data(MEARMAN_WORKS)
    first["meta"]["next_cursor"] = CURSOR
    last = second_works_page()

    assert OPENALEX.request_url("https://openalex.org/A5017898742") == MEARMAN_URL
    assert OPENALEX.next_url(Page(MEARMAN_URL, text(MEARMAN))) == MEARMAN_WORKS_URL
    second_url = OPENALEX.next_url(Page(MEARMAN_WORKS_URL, json.dumps(first)))
    assert second_url == MEARMAN_WORKS_URL.replace("cursor=*", f"cursor={CURSOR_IN_URL}")
    assert OPENALEX.next_url(Page(second_url, json.dumps(last))) is None


def test_openalex_next_url_is_clean_when_the_fetcher_added_parameters() -> None:
    page = data(MEARMAN_WORKS)
    page["meta"]["next_cursor"] = "abc"
    url = f"{MEARMAN_WORKS_URL}&mailto=me@example.org&api_key=secret"
    assert OPENALEX.next_url(Page(url, json.dumps(page))) == MEARMAN_WORKS_URL.replace(
        "cursor=*", "cursor=abc"
    )


def test_openalex_next_url_follows_a_merged_author_to_its_new_id() -> None:
    # Asked for an old id, OpenAlex answers with the author it was merged into.
    page = Page(f"{OPENALEX_API}/authors/A1111111111", text(MEARMAN))
    assert OPENALEX.next_url(page) == MEARMAN_WORKS_URL


def test_openalex_works_stop_without_a_next_cursor_or_without_results() -> None:
    assert OPENALEX.next_url(Page(MEARMAN_WORKS_URL, text(MEARMAN_WORKS))) is None  # no cursor
    empty = {"meta": {"count": 9, "next_cursor": "abc"}, "results": []}
    assert OPENALEX.next_url(Page(MEARMAN_WORKS_URL, json.dumps(empty))) is None


def test_openalex_next_page_needs_the_works_url() -> None:
    page = data(MEARMAN_WORKS)
    page["meta"]["next_cursor"] = "abc"
    with pytest.raises(ParseError):
        OPENALEX.next_url(Page(None, json.dumps(page)))


def test_semantic_scholar_page_chain() -> None:
    papers_url = f"{S2_API}/2262347/papers?{S2_PAPER_FIELDS}&offset=0&limit=1000"
    first = {"offset": 0, "next": 1000, "data": TURING_PAPERS[:1]}
    last = {"offset": 1000, "data": TURING_PAPERS[1:2]}

    assert S2.request_url("https://www.semanticscholar.org/author/A.-Turing/2262347") == TURING_URL
    assert S2.next_url(Page(TURING_URL, turing_without_papers())) == papers_url
    second_url = S2.next_url(Page(papers_url, json.dumps(first)))
    assert second_url == papers_url.replace("offset=0", "offset=1000")
    assert S2.next_url(Page(second_url, json.dumps(last))) is None


def test_semantic_scholar_author_with_embedded_papers_is_one_page() -> None:
    assert S2.next_url(Page(TURING_URL, text(TURING))) is None


@pytest.mark.parametrize("body", ["", "<html></html>", "[]", '{"error": "Author not found"}'])
def test_next_url_of_a_foreign_page_is_none(body: str) -> None:
    assert OPENALEX.next_url(Page(MEARMAN_URL, body)) is None
    assert S2.next_url(Page(TURING_URL, body)) is None


def test_next_url_of_the_other_api_is_none() -> None:
    assert OPENALEX.next_url(Page(TURING_URL, text(TURING))) is None
    assert S2.next_url(Page(MEARMAN_URL, text(MEARMAN))) is None


# ---------------------------------------------------------------------------- content

FOREIGN_PAGES = [
    "",
    "   ",
    "not json",
    "[]",
    "{}",
    "null",
    '{"error": "Not Found", "message": "no such author"}',
    '{"id": "https://openalex.org/W2250748100", "display_name": "a single work"}',
    '{"id": "https://openalex.org/A5017898742", "x": NaN}',
    "[" * 100_000,
    "<!doctype html><html><body><h1>Jason Priem</h1>h-index 17</body></html>",
]


@pytest.mark.parametrize("name", [PRIEM, MEARMAN, MEARMAN_WORKS])
def test_openalex_content_is_recognised(name: str) -> None:
    assert OPENALEX.recognises_content(text(name))
    assert not S2.recognises_content(text(name))


def test_semantic_scholar_content_is_recognised() -> None:
    assert S2.recognises_content(text(TURING))
    assert S2.recognises_content(turing_without_papers())
    assert not OPENALEX.recognises_content(text(TURING))


PROFILE_PAGES = FIXTURES / "profile_page"


@pytest.mark.parametrize(
    "name",
    sorted(str(p.relative_to(PROFILE_PAGES)) for p in PROFILE_PAGES.rglob("*") if p.is_file()),
)
def test_profile_pages_are_not_api_content(name: str) -> None:
    page = (PROFILE_PAGES / name).read_text(encoding="utf-8", errors="replace")
    assert not OPENALEX.recognises_content(page)
    assert not S2.recognises_content(page)


@pytest.mark.parametrize("body", [*FOREIGN_PAGES, text(TURING)])
def test_openalex_rejects_what_is_not_an_author(body: str) -> None:
    with pytest.raises(ParseError) as raised:
        OPENALEX.parse(body, url=None, fetched_at=FETCHED_AT)
    assert type(raised.value) is ParseError


@pytest.mark.parametrize("body", [*FOREIGN_PAGES, text(MEARMAN)])
def test_semantic_scholar_rejects_what_is_not_an_author(body: str) -> None:
    with pytest.raises(ParseError) as raised:
        S2.parse(body, url=None, fetched_at=FETCHED_AT)
    assert type(raised.value) is ParseError


def test_a_works_list_before_other_pages_is_not_an_author() -> None:
    # Alone, a works list parses (see above); at the head of several pages the author comes first.
    with pytest.raises(ParseError, match="works list, not an author"):
        parse_openalex(Page(None, text(MEARMAN_WORKS)), Page(None, text(MEARMAN_WORKS)))
    with pytest.raises(ParseError, match="papers list, not an author"):
        S2.parse(json.dumps({"data": TURING_PAPERS[:2]}), url=None, fetched_at=FETCHED_AT)


def test_no_pages_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_openalex()
    with pytest.raises(ParseError):
        parse_s2()


# ---------------------------------------------------------------------------- broken layouts


def set_path(document: Any, path: str, value: Any) -> Any:
    """A copy of `document` with the dotted `path` set to `value`, or deleted for `...`."""
    return mutate(document, tuple(int(p) if p.isdigit() else p for p in path.split(".")), value)


OPENALEX_AUTHOR_BREAKS = [
    ("display_name", ...),
    ("display_name", ""),
    ("display_name", ["Joseph Mearman"]),
    ("works_count", ...),
    ("works_count", "9"),
    ("cited_by_count", 41.5),
    ("cited_by_count", True),
    ("summary_stats", [2, 2]),
    ("summary_stats.h_index", "2"),
    ("summary_stats.2yr_mean_citedness", "0"),
    ("last_known_institutions", "Bangor University"),
    ("last_known_institutions.0", "Bangor University"),
    ("counts_by_year.0.year", ...),
    ("counts_by_year.0.cited_by_count", None),
    ("topics.0.display_name", 3),
]
OPENALEX_WORKS_BREAKS = [
    ("results", ...),
    ("results", {"0": {}}),
    ("results.0", "https://openalex.org/W2250748100"),
    ("results.0.id", ...),
    ("results.0.id", 2250748100),
    ("results.0.display_name", {"en": "A title"}),
    ("results.0.publication_date", "16 November 2015"),
    ("results.0.publication_year", "2015"),
    ("results.0.authorships", "Helen Cabot Miles"),
    ("results.0.authorships.0.author", "Helen Cabot Miles"),
    ("results.0.primary_location.source.display_name", 7),
    ("results.0.cited_by_count", "28"),
    ("meta.count", "9"),
]
S2_BREAKS = [
    ("name", ...),
    ("hIndex", ...),
    ("hIndex", "23"),
    ("citationCount", None),
    ("paperCount", 60.0),
    ("affiliations", "Bletchley Park"),
    ("affiliations.0", {"name": "Bletchley Park"}),
    ("papers", {"0": {}}),
    ("papers.0.paperId", ...),
    ("papers.0.title", ["Dystopian or Utopian?"]),
    ("papers.0.authors", "A. Turing"),
    ("papers.0.authors.0.name", 1),
    ("papers.0.externalIds", "10.1/x"),
    ("papers.1.externalIds.DOI", 10.1016),
    ("papers.0.year", "2022"),
    ("papers.1.publicationDate", "2012-13-31"),
    ("papers.0.citationCount", False),
    ("papers.0.venue", 0),
]


@pytest.mark.parametrize(("path", "value"), OPENALEX_AUTHOR_BREAKS)
def test_broken_openalex_author_is_a_layout_change(path: str, value: Any) -> None:
    author = set_path(data(MEARMAN), path, value)
    with pytest.raises(LayoutChangedError):
        parse_openalex(Page(None, json.dumps(author)))


@pytest.mark.parametrize(("path", "value"), OPENALEX_WORKS_BREAKS)
def test_broken_openalex_works_page_is_a_layout_change(path: str, value: Any) -> None:
    page = set_path(data(MEARMAN_WORKS), path, value)
    with pytest.raises(LayoutChangedError):
        parse_openalex(Page(None, text(MEARMAN)), Page(None, json.dumps(page)))


@pytest.mark.parametrize("body", ["", "<html>Too Many Requests</html>", "[]", text(MEARMAN)])
def test_openalex_works_page_that_is_not_one_is_a_layout_change(body: str) -> None:
    with pytest.raises(LayoutChangedError):
        parse_openalex(Page(None, text(MEARMAN)), Page(None, body))


@pytest.mark.parametrize(("path", "value"), S2_BREAKS)
def test_broken_semantic_scholar_author_is_a_layout_change(path: str, value: Any) -> None:
    author = data(TURING)
    author["affiliations"] = ["Bletchley Park"]
    author = set_path(author, path, value)
    with pytest.raises(LayoutChangedError):
        parse_s2(Page(None, json.dumps(author)))


@pytest.mark.parametrize("body", ["", "{}", '{"data": "none"}', text(TURING)])
def test_semantic_scholar_papers_page_that_is_not_one_is_a_layout_change(body: str) -> None:
    with pytest.raises(LayoutChangedError):
        parse_s2(Page(None, turing_without_papers()), Page(None, body))


# ---------------------------------------------------------------------------- mutated JSON

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
OPENALEX_WORK_KEYS = [
    "id",
    "doi",
    "title",
    "display_name",
    "publication_year",
    "publication_date",
    "primary_location",
    "authorships",
    "cited_by_count",
    "is_authors_truncated",
]


def trimmed_works_page(*, keep: tuple[str, ...] = ("author",)) -> dict[str, Any]:
    """The real works page cut to the fields the parser reads, so mutations land on them."""
    page: dict[str, Any] = data(MEARMAN_WORKS)
    page["results"] = [
        {key: work[key] for key in OPENALEX_WORK_KEYS if key in work} for work in page["results"]
    ]
    for work in page["results"]:
        work["authorships"] = [{key: a[key] for key in keep} for a in work["authorships"]]
    return page


def trimmed_turing() -> dict[str, Any]:
    author: dict[str, Any] = data(TURING)
    author["papers"] = author["papers"][:6]
    return author


def paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path into a JSON value, the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def mutate(document: Any, path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    document = copy.deepcopy(document)
    target = document
    for part in path[:-1]:
        target = target[part]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


DOCUMENTS = {
    "openalex author": data(MEARMAN),
    "openalex works": trimmed_works_page(),
    "openalex works alone": trimmed_works_page(keep=("author", "institutions")),
    "s2 author": trimmed_turing(),
}
DOCUMENT_PATHS = {name: paths(document) for name, document in DOCUMENTS.items()}


def pages_for(name: str, document: Any) -> list[Page]:
    body = json.dumps(document)
    if name == "openalex works":
        return [Page(None, text(MEARMAN)), Page(MEARMAN_WORKS_URL, body)]
    if name == "openalex works alone":
        return [Page(MEARMAN_WORKS_URL, body)]
    return [Page(MEARMAN_URL if name == "openalex author" else TURING_URL, body)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_json_parses_or_raises_a_parse_error(drawn: st.DataObject) -> None:
    name = drawn.draw(st.sampled_from(sorted(DOCUMENTS)))
    path = drawn.draw(st.sampled_from(DOCUMENT_PATHS[name]))
    value = drawn.draw(JSON_VALUES | st.just(...)) if path else drawn.draw(JSON_VALUES)
    pages = pages_for(name, mutate(DOCUMENTS[name], path, value))
    source = S2 if name.startswith("s2") else OPENALEX
    with contextlib.suppress(ParseError):
        assert isinstance(source.parse_pages(pages, fetched_at=FETCHED_AT), ProfileRecord)
    try:
        next_url = source.next_url(pages[-1])
    except ParseError:
        return
    assert next_url is None or next_url.startswith("https://api.")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([MEARMAN, MEARMAN_WORKS, TURING]), st.integers(min_value=0), st.text())
def test_cut_or_spliced_json_raises_a_parse_error(name: str, cut: int, junk: str) -> None:
    body = text(name)
    body = body[: cut % len(body)] + junk
    source = S2 if name == TURING else OPENALEX
    with contextlib.suppress(ParseError):
        source.parse(body, url=None, fetched_at=FETCHED_AT)
