"""The shortcut for the usual authors line reads every line as the general rules do."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.sources.profile_page import _authors, _authors_by_rules

# Words and separators an authors line is made of, and some it must not be confused with:
# lowercase words, "et al." and "And Others" endings, initials, barred characters.
WORDS = st.sampled_from(
    [
        "Ann", "Lee", "Bob", "Kim", "Seung-Woo", "O'Neil", "Van", "van", "der", "J.", "A",
        "And", "and", "Others", "others", "Et", "et", "Al", "al", "al.", "Al.", "Hals", "Ls",
        "McDonald", "Müller", "X1", "Learning", "with", "…", "...", "Zoë",
    ]
)  # fmt: skip
SEPARATORS = st.sampled_from([" ", " ", " ", ", ", ",", "; ", " & ", " and ", "  ", ": "])


@st.composite
def lines(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, min_size=1, max_size=14))
    text = words[0]
    for word in words[1:]:
        text += draw(SEPARATORS) + word
    return text + draw(st.sampled_from(["", "", " et al.", " et al", " Et Al.", " and others"]))


@settings(max_examples=3000, deadline=None)
@given(lines())
def test_the_usual_authors_line_reads_as_the_rules_read_it(line: str) -> None:
    assert _authors(line) == _authors_by_rules(line)


def test_usual_lines_and_their_lookalikes() -> None:
    for line in [
        "Jaehyun Nam, Jihoon Tack, Kyungmin Lee et al.",
        "Hankook Lee, Jinwoo Shin",
        "Mary And Others",
        "Bob Et Al",
        "Ann Lee, Bob Kim, Cy Park, Dee Wu, Ed Ng, Flo Li",
        "A B C D E F G",
        "Learning",
        "Al Hals",
        "X" * 70,
    ]:
        assert _authors(line) == _authors_by_rules(line), line
