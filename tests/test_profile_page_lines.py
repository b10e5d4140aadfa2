"""The shortcuts of the line readings read every line as the plain readings do.

`_read_lines` settles most lines without calling `_stat_line`, `_field` or `_card_head`; the
patterns guard their alternations with lookaheads and write optional parts as `(?:x|)`; stats
lines are tokenized by one `findall`; chrome is looked for in an ASCII line without casefold()
and without the marks beyond ASCII. Each is checked here against the plain version.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.sources import profile_page as pp
from tracker.sources.text_blocks import Block, Link

# The card-head pattern as first written: no guards, optional parts as `(?:x)?`.
_MONTH = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?!\d)(?:st|nd|rd|th)?"
_DATE = (
    r"(?P<iso_year>\d{4})[-/](?P<iso_month>\d{1,2})[-/](?P<iso_day>\d{1,2})(?!\d)"
    rf"|(?P<month1>{_MONTH})\s*(?P<day1>{_DAY})(?:,?\s*(?P<year1>\d{{4}}(?!\d)))?"
    rf"|(?P<day2>{_DAY})\s*(?P<month2>{_MONTH})(?:,?\s*(?P<year2>\d{{4}}(?!\d)))?"
)
_ARCHIVE = (
    r"(?:astro-ph|cond-mat|gr-qc|hep-ex|hep-lat|hep-ph|hep-th|math-ph|nlin|nucl-ex|nucl-th"
    r"|physics|quant-ph|cs|math|stat|eess|econ|q-bio|q-fin)"
)
_CATEGORY = (
    rf"{_ARCHIVE}\.(?:[A-Z]{{2}}|[a-z]{{2,}}(?:-[a-z]{{2,}})?)"
    rf"|{_ARCHIVE}(?![\w.])|[A-Z]{{2,4}}(?![a-z])"
)
_SEP, _CODE = r"[\W_]*", r"(?i:code)(?![a-z])"
HEAD_LINE = re.compile(
    rf"{_SEP}(?:(?P<code_first>{_CODE}){_SEP})?(?:(?P<category>{_CATEGORY}){_SEP})?"
    rf"(?:(?:{_DATE}){_SEP})?(?:(?P<category_after>{_CATEGORY}){_SEP})?(?:(?P<code>{_CODE}){_SEP})?"
)
STAT_TOKEN = re.compile(
    r"(?P<label>h[\s-]?index|citations?|cited\s+by|papers?|publications?"
    r"|novelty(?:\s+score)?|ai[\s-]?score)"
    r"|(?P<number>\d{1,3}(?:[,.\u202f']\d{3})+(?!\d)|\d+(?:\.\d+)?)"
    r"(?P<suffix>\s*(?:%|[km]\b))?"
    r"|(?P<break>\s*[·•|,]\s*)"
    r"|[\s:()\[\]/\u2013\u2014-]+",
    re.IGNORECASE,
)
FIELD_LABEL = re.compile(
    r"\s*(?P<label>title|author(?:s|\(s\))?|abstract|summary|tl;?dr|subjects?"
    r"|categor(?:y|ies)|date|submitted|published(?:\s+on)?)\s*(?::\s*|$)",
    re.IGNORECASE,
)


def stat_line(text: str) -> pp._StatLine | None:
    """`_stat_line` as first written: one token at a time."""
    if len(text) > pp._MAX_STAT_LINE:
        return None
    groups: pp._StatLine = [[]]
    position = 0
    while position < len(text):
        match = STAT_TOKEN.match(text, position)
        if match is None:
            return None
        position = match.end()
        if match.lastgroup == "label":
            metric = pp._METRIC_BY_INITIAL[match.group("label")[0].lower()]
            groups[-1].append(pp._Label(metric))
        elif match.lastgroup == "break":
            groups.append([])
        elif match.group("number") is not None:
            groups[-1].append(pp._number(match.group("number"), match.group("suffix") or ""))
    groups = [group for group in groups if group]
    labelled = any(isinstance(token, pp._Label) for group in groups for token in group)
    if not labelled and pp._ISO_DATE.match(text):
        return None
    return groups or None


def field(text: str) -> tuple[str, str] | None:
    """The label and value `_field` reads, from the pattern alone."""
    if len(text) > pp._MAX_LABEL and ":" not in text[: pp._MAX_LABEL]:
        return None  # a label ends within the first characters of a line
    match = FIELD_LABEL.match(text)
    if match is None:
        return None
    return " ".join(match.group("label").casefold().split()), text[match.end() :]


PIECES = [
    "LG", "cs.LG", "math", "math-ph", "q-bio.NC", "physics.atom-ph", "hep-th", "CV", "PDF",
    "Code", "CODE", "</> Code", "Mar", "march", "Sept", "\u017fep", "Jan.", "2", "02", "2nd",
    "2023", "2023-03-02", "2023/3/2", "754", "1,234", "1.2k", "57%", "4.5", "h-index",
    "H\u2011index", "h\u0130ndex", "papers", "Papers", "Cited by", "novelty", "AI Score",
    "A\u0130", "·", "|", ",", ":", "(", "/", "\u2013", " ", "  ", "\u00a0", "_", "🙂",
    "Hankook", "Lee", "x", "et al.", "Title:", "Authors:", "tl;dr", "\u017fummary",
    "Published on", "K", "k", "\u0663", "\n",
]  # fmt: skip
lines = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=8).map("".join)


@settings(max_examples=5000, deadline=None)
@given(lines)
def test_the_patterns_match_as_first_written(text: str) -> None:
    new, old = pp._HEAD_LINE.fullmatch(text), HEAD_LINE.fullmatch(text)
    if new is None:  # the guard settles only lines that hold no badge
        assert old is None or not any(old.group(n) for n in ("category", "code", "code_first"))
        assert old is None or old.group("iso_year", "month1", "month2") == (None, None, None)
    else:
        assert old is not None and new.groups() == old.groups()
    assert pp._stat_line(text) == stat_line(text)
    found = pp._field(text)
    label = field(text)
    name = pp._FIELD_BY_LABEL.get(label[0]) if label is not None else None
    # A label read case-insensitively that names no field (a dotted I) is no label.
    read = (found.name, found.value) if found is not None else None
    assert read == ((name, label[1]) if label is not None and name is not None else None)


@settings(max_examples=3000, deadline=None)
@given(lines, st.booleans())
def test_each_line_reads_as_the_plain_readings_read_it(text: str, linked: bool) -> None:
    block = Block(text, (Link("/x", text),) if linked else ())
    read = pp._read_lines([block])
    assert read.stats == [pp._stat_line(text) if len(text) <= pp._MAX_STAT_LINE else None]
    assert read.labels == [pp._field(text)]
    assert read.heads == [pp._card_head(block, pp._field(text))]


@settings(max_examples=3000, deadline=None)
@given(lines)
def test_digits_and_code_are_found_as_the_regex_finds_them(text: str) -> None:
    expected = re.search(r"\d", text) is not None or "code" in text.lower()
    assert pp._shows_date_or_code(text) == expected


def is_chrome(block: Block) -> bool:
    """`_is_chrome` as first written: every line folded by casefold(), every mark looked for."""
    text = block.text
    if len(text) > pp._MAX_CHROME_LINE:
        return False
    folded = text.casefold()
    if folded.strip(pp._EDGE_PUNCTUATION) in pp._CHROME_PHRASES:
        return True
    if "©" in folded or folded.startswith(("copyright", "(c) ")) or "cookie" in folded:
        return True
    if any(mark in folded for mark in ("|", "·", "•", "/", "\u2013", "\u2014", "  ")) and (
        pp._all_chrome(pp._CHROME_SEPARATORS.split(folded))
    ):
        return True
    links = block.links
    return bool(links) and links[0].text != text and pp._is_row_of_chrome_links(folded, links)


CHROME_PIECES = [
    "Home", "home", "Sign in", "SIGN IN", "Log out", "About", "Contact us", "©", "(c) ",
    "Copyright", "cookie", "Cookies", "|", "·", "•", "/", "\u2013", "\u2014", "  ", " ", "-",
    "Terms", "Privacy", "Hankook Lee", "\u0130", "\u1e9e", "ß", "K", "\u212a", "x",
]  # fmt: skip
chrome_lines = st.lists(st.sampled_from(CHROME_PIECES) | st.text(max_size=3), max_size=8).map(
    "".join
)


@settings(max_examples=3000, deadline=None)
@given(chrome_lines, st.lists(chrome_lines, max_size=3))
def test_chrome_is_recognised_as_when_every_line_was_casefolded(
    text: str, link_texts: list[str]
) -> None:
    block = Block(text, tuple(Link("/x", link_text) for link_text in link_texts))
    assert pp._is_chrome(block) == is_chrome(block)


def test_letters_read_case_insensitively_break_nothing() -> None:
    """A long s reads as an s in a month, and a dotted capital I spells no label."""
    assert pp._head("\u017fep 3") == pp._Head(None, (None, 9, 3), False)
    assert pp._field("t\u0130tle: Deep nets") is None
