"""The arXiv source: real saved API responses, URLs, paging, hostile and broken XML.

Every expected value below was read off the saved XML by eye, not copied from parser output.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.errors import BlockedError, LayoutChangedError, ParseError, UserInputError
from tracker.fetch import decode_body
from tracker.records import Paper, ProfileRecord
from tracker.sources import openalex, scholar, semantic_scholar
from tracker.sources.arxiv import SOURCE as ARXIV
from tracker.sources.base import Page

FIXTURES = Path(__file__).parent / "fixtures"
FETCHED_AT = datetime(2026, 1, 15, tzinfo=UTC)
DEL_MAESTRO = "arxiv/search_au_del_maestro.xml"
CHECKERBOARD = "arxiv/search_au_del_maestro_AND_ti_checkerboard.xml"
OTHER_SOURCES = (openalex.SOURCE, semantic_scholar.SOURCE, scholar.SOURCE)

API = "https://export.arxiv.org/api/query"
SORTED = "sortBy=submittedDate&sortOrder=descending"
SEARCH_URL = f"{API}?search_query=au:del_maestro&start=0&max_results=200&{SORTED}"


def text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parse(body: str, url: str | None = None) -> ProfileRecord:
    return ARXIV.parse(body, url=url, fetched_at=FETCHED_AT)


def parse_pages(*pages: Page) -> ProfileRecord:
    return ARXIV.parse_pages(pages, fetched_at=FETCHED_AT)


def search_url(start: int, per_page: int = 10) -> str:
    return f"{API}?search_query=au:del_maestro&start={start}&max_results={per_page}&{SORTED}"


def with_opensearch(body: str, **counts: int) -> str:
    """The feed with its opensearch counts (totalResults, startIndex, itemsPerPage) rewritten."""
    for name, value in counts.items():
        body = re.sub(rf"(<opensearch:{name}[^>]*>)[^<]*", rf"\g<1>{value}", body)
    return body


def with_title(body: str, title: str) -> str:
    return re.sub(r'<title type="html">[^<]*', f'<title type="html">{escape(title)}', body)


# ---------------------------------------------------------------------------- real responses

CHECKERBOARD_PAPER = Paper(
    key="arxiv:cond-mat/0603029",
    title=(
        "From stripe to checkerboard order on the square lattice in the presence of quenched "
        "disorder"
    ),
    authors=["Adrian Del Maestro", "Bernd Rosenow", "Subir Sachdev"],
    published=date(2006, 3, 2),
    year=2006,
    category="cond-mat.str-el",
    venue="Phys. Rev. B 74, 024520 (2006)",
    url="http://arxiv.org/abs/cond-mat/0603029v1",
    arxiv_id="cond-mat/0603029v1",
    doi="10.1103/PhysRevB.74.024520",
    abstract=(
        "We discuss the effects of quenched disorder on a model of charge density wave (CDW) "
        "ordering on the square lattice. Our model may be applicable to the cuprate "
        "superconductors, where a random electrostatic potential exists in the CuO2 planes as a "
        "result of the presence of charged dopants. We argue that the presence of a random "
        "potential can affect the unidirectionality of the CDW order, characterized by an Ising "
        "order parameter. Coupling to a unidirectional CDW, the random potential can lead to the "
        "formation of domains with 90 degree relative orientation, thus tending to restore the "
        "rotational symmetry of the underlying lattice. We find that the correlation length of "
        "the Ising order can be significantly larger than the CDW correlation length. For a "
        "checkerboard CDW on the other hand, disorder generates spatial anisotropies on short "
        "length scales and thus some degree of unidirectionality. We quantify these disorder "
        "effects and suggest new techniques for analyzing the local density of states (LDOS) "
        "data measured in scanning tunneling microscopy experiments."
    ),
)


@pytest.mark.parametrize(
    "url", [None, f"{API}?search_query=au:del_maestro%20AND%20ti:checkerboard&start=0"]
)
def test_checkerboard_search_is_one_paper(url: str | None) -> None:
    assert parse(text(CHECKERBOARD), url) == ProfileRecord(
        source="arxiv",
        url=url,
        fetched_at=FETCHED_AT,
        name="del maestro",  # the author part of "au:del_maestro AND ti:checkerboard"
        affiliation=None,
        metrics={"paper_count": 1},
        papers=[CHECKERBOARD_PAPER],
        warnings=[],
    )


# key, arXiv id as given, published, primary category, DOI, journal ref, authors, title
Row = tuple[str, str, date, str, str, str, list[str], str]
DEL_MAESTRO_PAPERS: list[Row] = [
    ("1201.4869", "1201.4869v1", date(2012, 1, 23), "cond-mat.mes-hall",
     "10.1142/S021797921244002X", "Int. J. Mod. Phys. B, 26, 1244002 (2012)",
     ["Adrian Del Maestro"],
     "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores"),
    ("cond-mat/0412498", "cond-mat/0412498v1", date(2004, 12, 19), "cond-mat.str-el",
     "10.1103/PhysRevB.71.184511", "Physical Review B 71, 184511 (2005)",
     ["Adrian Del Maestro", "Subir Sachdev"],
     "Thermal melting of density waves on the square lattice"),
    ("cond-mat/0603029", "cond-mat/0603029v1", date(2006, 3, 2), "cond-mat.str-el",
     "10.1103/PhysRevB.74.024520", "Phys. Rev. B 74, 024520 (2006)",
     ["Adrian Del Maestro", "Bernd Rosenow", "Subir Sachdev"],
     "From stripe to checkerboard order on the square lattice in the presence of quenched "
     "disorder"),
    ("1005.5383", "1005.5383v1", date(2010, 5, 28), "cond-mat.stat-mech",
     "10.1103/PhysRevB.82.060515", "Physical Review B 82, 060515(R) (2010)",
     ["Adrian Del Maestro", "Ian Affleck"],
     "Interacting bosons in one dimension and Luttinger liquid theory"),
    ("1303.6954", "1303.6954v2", date(2013, 3, 27), "cond-mat.mes-hall",
     "10.1103/PhysRevB.88.064512", "Physical Review B 88, 064512 (2013)",
     ["B. Kulchytskyy", "G. Gervais", "A. Del Maestro"],
     "Local Superfluidity at the Nanoscale"),
    ("1312.6177", "1312.6177v1", date(2013, 12, 20), "cond-mat.stat-mech",
     "10.1103/PhysRevB.89.224502", "Phys. Rev. B 89, 224502 (2014)",
     ["C. M. Herdman", "A. Rommal", "A. Del Maestro"],
     "Quantum Monte Carlo measurement of the chemical potential of helium-4"),
    ("1412.6529", "1412.6529v2", date(2014, 12, 19), "cond-mat.quant-gas",
     "10.1103/PhysRevB.91.184507", "Phys. Rev. B 91, 184507 (2015)",
     ["C. M. Herdman", "A. Del Maestro"],
     "Particle partition entanglement of bosonic Luttinger liquids"),
    ("cond-mat/0607501", "cond-mat/0607501v2", date(2006, 7, 19), "cond-mat.str-el",
     "10.1103/PhysRevB.74.214517", "Phys. Rev. B 74, 214517 (2006)",
     ["R. G. Melko", "A. Del Maestro", "A. A. Burkov"],
     "A striped supersolid phase and the search for deconfined quantum criticality in "
     "hard-core bosons on the triangular lattice"),
    ("cond-mat/0702661", "cond-mat/0702661v2", date(2007, 2, 27), "cond-mat.mtrl-sci",
     "10.1103/PhysRevB.76.064418", "Phys. Rev. B 76, 064418 (2007)",
     ["Adrian Del Maestro", "Michel J. P. Gingras"],
     "Low temperature specific heat and possible gap to magnetic excitations in the "
     "Heisenberg pyrochlore antiferromagnet Gd2Sn207"),
    ("0807.2873", "0807.2873v1", date(2008, 7, 17), "cond-mat.supr-con",
     "10.1016/j.aop.2008.08.003", "Annals of Physics 324, 523 (2009).",
     ["Adrian Del Maestro", "Bernd Rosenow", "Subir Sachdev"],
     "Theory of the pairbreaking superconductor-metal transition in nanowires"),
]  # fmt: skip


def test_del_maestro_search_is_the_first_page_of_31() -> None:
    record = parse(text(DEL_MAESTRO))
    assert record.source == "arxiv"
    assert record.url is None
    assert record.fetched_at == FETCHED_AT
    assert record.name == "del maestro"  # search_query=au:del_maestro
    assert record.affiliation is None
    assert record.interests == []
    assert record.metrics == {"paper_count": 31}  # opensearch:totalResults; no citations
    assert record.citations_per_year == {}
    # The saved page is the first of four (itemsPerPage 10): a short read says so.
    assert record.warnings == ["arXiv counts 31 papers but 10 were read"]
    assert [p.key for p in record.papers] == [f"arxiv:{row[0]}" for row in DEL_MAESTRO_PAPERS]


@pytest.mark.parametrize("row", DEL_MAESTRO_PAPERS, ids=[row[0] for row in DEL_MAESTRO_PAPERS])
def test_del_maestro_search_papers(row: Row) -> None:
    key, arxiv_id, published, category, doi, venue, authors, title = row
    [found] = [p for p in parse(text(DEL_MAESTRO)).papers if p.key == f"arxiv:{key}"]
    assert (found.arxiv_id, found.published, found.category) == (arxiv_id, published, category)
    assert (found.doi, found.venue, found.authors, found.title) == (doi, venue, authors, title)
    assert found.year == published.year
    assert found.url == f"http://arxiv.org/abs/{arxiv_id}"
    assert found.authors_truncated is False
    assert found.citations is None
    assert found.abstract and "  " not in found.abstract and "\n" not in found.abstract


def test_del_maestro_search_papers_in_full() -> None:
    papers = parse(text(DEL_MAESTRO)).papers
    assert papers[2] == CHECKERBOARD_PAPER  # the same entry as in the checkerboard search
    assert papers[1] == Paper(
        key="arxiv:cond-mat/0412498",
        title="Thermal melting of density waves on the square lattice",
        authors=["Adrian Del Maestro", "Subir Sachdev"],
        published=date(2004, 12, 19),
        year=2004,
        category="cond-mat.str-el",
        venue="Physical Review B 71, 184511 (2005)",
        url="http://arxiv.org/abs/cond-mat/0412498v1",
        arxiv_id="cond-mat/0412498v1",
        doi="10.1103/PhysRevB.71.184511",
        abstract=(
            'We present the theory of the effect of thermal fluctuations on commensurate "p x p" '
            "density wave ordering on the square lattice (p >= 3, integer). For the case in "
            "which this order is lost by a second order transition, we argue that the adjacent "
            "state is generically an incommensurate striped state, with commensurate p-periodic "
            "long range order along one direction, and incommensurate quasi-long-range order "
            "along the orthogonal direction. We also present the routes by which the fully "
            "disordered high temperature state can be reached. For p=4, and at special "
            'commensurate densities, the "4 x 4" commensurate state can melt directly into the '
            "disordered state via a self-dual critical point with non-universal exponents."
        ),
    )


# ---------------------------------------------------------------------------- an author's feed

# Modelled on the author feed arXiv documents (https://arxiv.org/a/<id>.atom, David R. Morrison's
# example in its help pages), with the real checkerboard entry: no such feed was saved.
AUTHOR_FEED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom">\n'
    "  <title>Adrian Del Maestro's articles on arXiv</title>\n"
    '  <link rel="describes" href="http://orcid.org/0000-0000-0000-0000"/>\n'
    "  <updated>2015-09-23T00:00:00-04:00</updated>\n"
    "  <id>http://arxiv.org/a/delmaestro_a_1</id>\n"
    '  <link href="http://arxiv.org/a/delmaestro_a_1.atom" rel="self"'
    ' type="application/atom+xml"/>\n'
    + text(CHECKERBOARD)[text(CHECKERBOARD).index("  <entry>") :].replace("</feed>", "")
    + "</feed>\n"
)


def test_author_feed_is_the_whole_profile() -> None:
    url = "https://arxiv.org/a/delmaestro_a_1.atom"
    record = parse(AUTHOR_FEED, url)
    assert record.name == "Adrian Del Maestro"
    assert record.metrics == {"paper_count": 1}  # no opensearch counts: every paper is here
    assert record.papers == [CHECKERBOARD_PAPER]
    assert record.warnings == []
    assert ARXIV.next_url(Page(url, AUTHOR_FEED)) is None
    assert ARXIV.recognises_content(AUTHOR_FEED)


# ---------------------------------------------------------------------------- URLs

AUTHOR_FEED_URL = "https://arxiv.org/a/delmaestro_a_1.atom"
ORCID_FEED_URL = "https://arxiv.org/a/0000-0002-7970-7855.atom"
ARXIV_URLS = [
    ("https://arxiv.org/a/delmaestro_a_1", AUTHOR_FEED_URL),
    ("http://arxiv.org/a/delmaestro_a_1/", AUTHOR_FEED_URL),
    ("https://www.arxiv.org/a/delmaestro_a_1.html", AUTHOR_FEED_URL),
    ("https://arxiv.org/a/delmaestro_a_1.atom2", AUTHOR_FEED_URL),
    ("https://arxiv.org/a/delmaestro_a_1.atom", AUTHOR_FEED_URL),
    ("https://arxiv.org/a/DelMaestro_A_1?x=1", AUTHOR_FEED_URL),
    ("https://arxiv.org/a/0000-0002-7970-7855", ORCID_FEED_URL),
    ("https://arxiv.org/a/0000-0002-1694-233x.atom2", "https://arxiv.org/a/0000-0002-1694-233X.atom"),
    ("http://export.arxiv.org/api/query?search_query=au:del_maestro", SEARCH_URL),
    ("https://export.arxiv.org/api/query?search_query=au%3Adel_maestro", SEARCH_URL),
    ("http://arxiv.org/api/query?search_query=au:del_maestro", SEARCH_URL),
    (SEARCH_URL, SEARCH_URL),
    (
        "https://export.arxiv.org/api/query?search_query=au:del_maestro&start=0&max_results=10",
        search_url(0, 10),
    ),
    (
        "http://export.arxiv.org/api/query?search_query=au:del_maestro+AND+ti:checkerboard",
        f"{API}?search_query=au:del_maestro%20AND%20ti:checkerboard&start=0&max_results=200"
        f"&{SORTED}",
    ),
    (
        'https://export.arxiv.org/api/query?search_query=au:"del maestro"&sortBy=relevance',
        f"{API}?search_query=au:%22del%20maestro%22&sortBy=relevance&start=0&max_results=200"
        "&sortOrder=descending",
    ),
]  # fmt: skip
NOT_ARXIV = [
    "https://arxiv.org/abs/1201.4869",
    "https://arxiv.org/a/",
    "https://arxiv.org/a/delmaestro",
    "https://arxiv.org/a/delmaestro_a_1/papers",
    "https://arxiv.org/a/delmaestro_a_1.json",
    "https://arxiv.org/a/0000-0002-7970-785",
    "https://export.arxiv.org/api/query?search_query=all:electron",
    "https://export.arxiv.org/api/query?search_query=ti:au_pair",
    "https://export.arxiv.org/api/query?search_query=abs:tau:lepton",
    "https://export.arxiv.org/api/query?search_query=au:",
    "https://export.arxiv.org/api/query?id_list=1201.4869",
    "https://export.arxiv.org/api/other?search_query=au:del_maestro",
    "https://example.com/api/query?search_query=au:del_maestro",
    "https://arxiv.org.example.com/a/delmaestro_a_1",
    "ftp://arxiv.org/a/delmaestro_a_1",
    "arxiv.org/a/delmaestro_a_1",
    "delmaestro_a_1",
    "http://[::1",
    "",
    "https://openalex.org/A5023888391",
    "https://www.semanticscholar.org/author/A.-Turing/2262347",
    "https://scholar.google.com/citations?user=amIMrIEAAAAJ",
    "0000-0002-1825-0097",
]


@pytest.mark.parametrize(("url", "request_url"), ARXIV_URLS)
def test_arxiv_urls(url: str, request_url: str) -> None:
    assert ARXIV.recognises_url(url)
    assert ARXIV.request_url(url) == request_url
    assert ARXIV.recognises_url(request_url)
    assert not any(source.recognises_url(url) for source in OTHER_SOURCES)


@pytest.mark.parametrize("url", NOT_ARXIV)
def test_not_arxiv_urls(url: str) -> None:
    assert not ARXIV.recognises_url(url)
    with pytest.raises(UserInputError):
        ARXIV.request_url(url)


# ---------------------------------------------------------------------------- paging


def test_search_page_chain() -> None:
    first_url = ARXIV.request_url("https://export.arxiv.org/api/query?search_query=au:del_maestro")
    assert first_url == SEARCH_URL
    # The saved page asked for 10 a page: startIndex 0, itemsPerPage 10, totalResults 31.
    chain: list[str | None] = [search_url(0)]
    for start in (0, 10, 20, 30):
        body = with_opensearch(text(DEL_MAESTRO), startIndex=start)
        chain.append(ARXIV.next_url(Page(chain[-1], body)))
    assert chain == [search_url(0), search_url(10), search_url(20), search_url(30), None]


def test_next_url_keeps_the_query_and_its_order() -> None:
    url = f"{API}?sortBy=relevance&search_query=au:del_maestro%20AND%20ti:x&max_results=10&start=0"
    assert ARXIV.next_url(Page(url, text(DEL_MAESTRO))) == url.replace("start=0", "start=10")


def test_pages_stop_at_the_total_or_without_entries() -> None:
    assert ARXIV.next_url(Page(search_url(0), text(CHECKERBOARD))) is None  # 1 result, 10 a page
    exact = with_opensearch(text(DEL_MAESTRO), totalResults=10)
    assert ARXIV.next_url(Page(search_url(0), exact)) is None
    empty = re.sub(r"  <entry>.*</entry>\n", "", text(DEL_MAESTRO), flags=re.DOTALL)
    assert ARXIV.next_url(Page(search_url(0), empty)) is None
    no_step = with_opensearch(text(DEL_MAESTRO), itemsPerPage=0)
    assert ARXIV.next_url(Page(search_url(0), no_step)) is None


def test_next_page_needs_the_search_url() -> None:
    with pytest.raises(ParseError):
        ARXIV.next_url(Page(None, text(DEL_MAESTRO)))
    with pytest.raises(ParseError):
        ARXIV.next_url(Page(AUTHOR_FEED_URL, text(DEL_MAESTRO)))


@pytest.mark.parametrize(
    "body", ["", "Rate exceeded.", "<html></html>", "{}", "<feed/>", "<!DOCTYPE x><x/>"]
)
def test_next_url_of_a_foreign_page_is_none(body: str) -> None:
    assert ARXIV.next_url(Page(search_url(0), body)) is None


def second_page() -> str:
    """Page 2 of an 11-paper search: the checkerboard entry given another id."""
    body = with_opensearch(text(CHECKERBOARD), totalResults=11, startIndex=10)
    return body.replace("cond-mat/0603029", "cond-mat/0603030")


def test_pages_add_up_to_the_union_of_their_entries() -> None:
    first = with_opensearch(text(DEL_MAESTRO), totalResults=11)
    record = parse_pages(Page(search_url(0), first), Page(search_url(10), second_page()))
    assert record.url == search_url(0)
    assert record.metrics == {"paper_count": 11}
    assert [p.key for p in record.papers][-2:] == ["arxiv:0807.2873", "arxiv:cond-mat/0603030"]
    assert len(record.papers) == 11
    assert record.warnings == []


def test_a_paper_that_moved_to_the_next_page_is_kept_once() -> None:
    first = with_opensearch(text(DEL_MAESTRO), totalResults=11)
    again = with_opensearch(text(CHECKERBOARD), totalResults=11, startIndex=10)
    record = parse_pages(Page(search_url(0), first), Page(search_url(10), again))
    assert len(record.papers) == 10
    assert record.warnings == ["a second paper with the key arxiv:cond-mat/0603029 was skipped"]


@pytest.mark.parametrize("body", ["", "<html>Service Unavailable</html>", AUTHOR_FEED[:200]])
def test_a_later_page_that_is_no_feed_is_a_layout_change(body: str) -> None:
    with pytest.raises(LayoutChangedError):
        parse_pages(Page(search_url(0), text(DEL_MAESTRO)), Page(search_url(10), body))


def test_a_rate_limited_page_is_blocked() -> None:
    with pytest.raises(BlockedError):
        parse("Rate exceeded.")
    with pytest.raises(BlockedError):
        parse_pages(Page(search_url(0), text(DEL_MAESTRO)), Page(search_url(10), "Rate exceeded."))


# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("au:del_maestro", "del maestro"),
        ("au:del_maestro AND ti:checkerboard", "del maestro"),
        ("ti:checkerboard AND au:Del_Maestro_A", "Del Maestro A"),
        ('au:"Adrian Del Maestro"', "Adrian Del Maestro"),
        ('au:"" OR au:sachdev', "sachdev"),
        ("(au:del_maestro OR au:delmaestro) AND cat:cond-mat.str-el", "del maestro"),
        ("AU:  sachdev", "sachdev"),
    ],
)
def test_the_name_is_the_author_part_of_the_query(query: str, name: str) -> None:
    title = f"ArXiv Query: search_query={query}&id_list=&start=0&max_results=10"
    assert parse(with_title(text(CHECKERBOARD), title)).name == name


def test_without_its_title_the_feed_is_named_by_the_url() -> None:
    body = re.sub(r'<title type="html">[^<]*</title>', "", text(CHECKERBOARD))
    assert parse(body, f"{API}?search_query=au:sachdev").name == "sachdev"
    with pytest.raises(LayoutChangedError):
        parse(body)


def test_a_search_that_names_no_author_is_not_a_profile() -> None:
    title = "ArXiv Query: search_query=all:electron&id_list=&start=0&max_results=10"
    with pytest.raises(ParseError, match="names no author") as raised:
        parse(with_title(text(CHECKERBOARD), title))
    assert type(raised.value) is ParseError


# ---------------------------------------------------------------------------- content

ARXIV_ERROR = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <title>ArXiv Query: search_query=&amp;id_list=1234.12345</title>
  <id>http://arxiv.org/api/kvuntZ8c9a4Eq5CF7KY03nMug+Q</id>
  <opensearch:totalResults>1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345</summary>
  </entry>
</feed>
"""


@pytest.mark.parametrize("name", [DEL_MAESTRO, CHECKERBOARD])
def test_arxiv_content_is_recognised(name: str) -> None:
    assert ARXIV.recognises_content(text(name))
    assert not any(source.recognises_content(text(name)) for source in OTHER_SOURCES)


@pytest.mark.parametrize(
    "name",
    sorted(
        str(path.relative_to(FIXTURES))
        for path in FIXTURES.rglob("*")
        if path.is_file() and path.parent.name != "arxiv"
    ),
)
def test_other_fixtures_are_not_arxiv_content(name: str) -> None:
    assert not ARXIV.recognises_content((FIXTURES / name).read_text("utf-8", errors="replace"))


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE feed [\n  <!ENTITY lol "lol">\n'
    + "".join(f'  <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(1, 10)).replace(
        "&lol0;", "&lol;"
    )
    + ']>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol9;</title></feed>\n'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + text(CHECKERBOARD).split("\n", 1)[1].replace("Subir Sachdev", "&xxe;")
)


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        text(DEL_MAESTRO).replace("<feed", "<!DOCTYPE feed>\n<feed", 1),
        "<!doctype html><html><body>Adrian Del Maestro</body></html>",
        '<?xml version="1.0"?><!ENTITY x "y"><feed/>',
    ],
)
def test_declarations_are_refused_before_parsing(body: str) -> None:
    with pytest.raises(ParseError, match="DOCTYPE or an ENTITY"):
        parse(body)
    assert ARXIV.next_url(Page(search_url(0), body)) is None


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "not xml",
        "<feed",
        text(DEL_MAESTRO)[: len(text(DEL_MAESTRO)) // 2],
        text(CHECKERBOARD).replace("</entry>", "</entri>"),
        "<a>\ud800</a>",  # a lone surrogate the XML parser cannot encode
        "<x:feed/>",  # an unbound prefix
        "<rss><channel/></rss>",
        '<feed xmlns="http://www.w3.org/2005/Atom"><id>https://example.org/feed</id></feed>',
        '<feed xmlns="http://www.w3.org/2005/Atom"/>',
        "<feed><id>http://arxiv.org/api/x</id></feed>",  # not in the Atom namespace
        '{"id": "http://arxiv.org/api/x"}',
        ARXIV_ERROR,
    ],
)
def test_what_is_no_arxiv_feed_is_a_parse_error(body: str) -> None:
    with pytest.raises(ParseError):
        parse(body)


def test_arxiv_error_feed_says_why() -> None:
    with pytest.raises(ParseError, match=r"incorrect id format for 1234\.12345") as raised:
        parse(ARXIV_ERROR)
    assert type(raised.value) is ParseError
    assert not ARXIV.next_url(Page(search_url(0), ARXIV_ERROR))


def test_no_pages_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_pages()


# ---------------------------------------------------------------------------- broken layouts


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("http://arxiv.org/abs/cond-mat/0603029v1</id>", "cond-mat/0603029v1</id>"),
        ("<id>http://arxiv.org/abs/cond-mat/0603029v1</id>", ""),
        ("<published>2006-03-02T02:22:45Z", "<published>2 March 2006"),
        (">1</opensearch:totalResults>", ">one</opensearch:totalResults>"),
        (">1</opensearch:totalResults>", ">-1</opensearch:totalResults>"),
        (">1</opensearch:totalResults>", ">\u0661</opensearch:totalResults>"),  # Arabic-Indic 1
        (">1</opensearch:totalResults>", f">{'9' * 5000}</opensearch:totalResults>"),
    ],
)
def test_broken_feed_is_a_layout_change(old: str, new: str) -> None:
    body = text(CHECKERBOARD)
    assert old in body
    with pytest.raises(LayoutChangedError):
        parse(body.replace(old, new, 1))


def test_entry_without_title_is_skipped_with_a_warning() -> None:
    body = re.sub(r"<title>From stripe[^<]*</title>", "<title> </title>", text(DEL_MAESTRO))
    record = parse(body)
    assert len(record.papers) == 9
    assert record.warnings == [
        "arXiv counts 31 papers but 10 were read",
        "the arXiv paper http://arxiv.org/abs/cond-mat/0603029v1 has no title and was skipped",
    ]


def test_optional_fields_may_be_missing() -> None:
    body = re.sub(r"\s*<arxiv:(doi|journal_ref|primary_category)[^>]*?(/>|>[^<]*</arxiv:\1>)", "",
                  text(CHECKERBOARD))  # fmt: skip
    body = re.sub(r'\s*<link href="[^"]*" rel="alternate"[^>]*/>', "", body)
    [paper] = parse(body).papers
    assert (paper.doi, paper.venue, paper.category) == (None, None, None)
    assert paper.url == "http://arxiv.org/abs/cond-mat/0603029v1"  # the entry's id


# ---------------------------------------------------------------------------- random input


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_give_a_record_or_a_parse_error(body: bytes) -> None:
    page = Page(search_url(0), decode_body(body, None))
    with contextlib.suppress(ParseError):
        assert isinstance(ARXIV.parse_pages([page], fetched_at=FETCHED_AT), ProfileRecord)
    with contextlib.suppress(ParseError):
        assert ARXIV.next_url(page) in (None, search_url(10))
    assert isinstance(ARXIV.recognises_content(page.text), bool)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([DEL_MAESTRO, CHECKERBOARD]), st.integers(min_value=0), st.text())
def test_cut_or_spliced_feeds_give_a_record_or_a_parse_error(
    name: str, cut: int, junk: str
) -> None:
    body = text(name)
    at = cut % len(body)
    body = body[:at] + junk + body[at + len(junk) :]
    with contextlib.suppress(ParseError):
        assert isinstance(parse(body, search_url(0)), ProfileRecord)
    with contextlib.suppress(ParseError):
        next_url = ARXIV.next_url(Page(search_url(0), body))
        assert next_url is None or next_url.startswith(f"{API}?search_query=au:del_maestro&")
