"""The fast reader reads every page as the straightforward one does.

`page_blocks` skips work where it can prove the outcome (elements removed for their tag are
skipped while reading, whitespace between tags is looked for only inside a line, a block of one
text is read without a walk of its own, the page is encoded in slices). The reference below does
none of that: it removes every invisible element first, replaces the elements that stand for a
text, then visits every node and looks up each text's block and link from its ancestors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser, LexborNode

from tracker.sources import text_blocks as tb
from tracker.sources.text_blocks import Block, Link

FIXTURES = Path(__file__).parent / "fixtures" / "profile_page"


def reference_blocks(html: str) -> list[Block]:
    html = html.removeprefix("\ufeff")
    data = html.encode(errors="ignore")
    if tb._XML_DECLARATION.match(html) or b"xmlns:" in data:
        data = tb._xml_as_html(html).encode(errors="ignore")
    tree = LexborHTMLParser(data)
    root = tree.body or tree.root
    if root is None:
        return []
    doomed = [node for node in root.css(tb._REMOVED) if tb._is_invisible(node)]
    for node in reversed(doomed):
        name = tb._icon_link_name(node) if node.tag == "svg" else None
        if name:
            node.replace_with(f" {name} ")
        else:
            node.decompose()
    for node in root.css("time[datetime], img[alt]"):
        if node.tag == "img":
            alt = (node.attrs.get("alt") or "").strip()
            if alt:
                node.replace_with(f" {alt} ")
            continue
        match = re.match(r"\s*(\d{4}-\d{2}-\d{2})", node.attrs.get("datetime") or "")
        if match:
            node.replace_with(match.group(1))
    return _reference_read(root)


def _reference_read(root: LexborNode) -> list[Block]:
    blocks: list[Block] = []
    wrapped = _links_around_blocks(root)
    texts: list[str] = []
    hrefs: list[str | None] = []
    block, block_id = root, -1
    preformatted = space_pending = False

    def flush() -> None:
        nonlocal space_pending
        space_pending = False
        if texts:
            text = _squash("".join(texts))
            if text:
                blocks.append(Block(text, _links(texts, hrefs), block))
        texts.clear()
        hrefs.clear()

    for node in root.traverse(include_text=True):
        if node.tag_id != tb._TEXT_ID:
            if node.tag_id not in tb._INLINE_IDS and node.tag_id != tb._COMMENT_ID:
                flush()
                if node.tag == "hr":
                    blocks.append(Block("", (), node))
            continue
        text = node.text_content or ""
        if not text or text.isspace():
            if preformatted and "\n" in text:
                flush()
            elif texts:
                space_pending = True
            continue
        parent, href = _context(node.parent)
        if href is None:
            href = wrapped.get(parent.mem_id)
        if parent.mem_id != block_id:
            flush()
            block, block_id = parent, parent.mem_id
            preformatted = parent.tag in tb._PREFORMATTED_TAGS
        elif space_pending:
            texts.append(" ")
            hrefs.append(None)
            space_pending = False
        for number, line in enumerate(text.split("\n") if preformatted else [text]):
            if number:  # a line break inside preformatted text
                flush()
            texts.append(line)
            hrefs.append(href)
    flush()
    return blocks


def _squash(text: str) -> str:
    """Whitespace collapsed, invisible characters dropped, lookalike hyphens made ASCII."""
    text = text.strip()
    if text.isascii():
        if any(space in text for space in ("  ", "\n", "\t", "\r", "\f", "\v")):
            return " ".join(text.split())
        return text
    text = tb._HYPHEN_LOOKALIKE.sub("-", tb._INVISIBLE.sub("", text))
    return text if text.isprintable() and "  " not in text else " ".join(text.split())


def _links(texts: list[str], hrefs: list[str | None]) -> tuple[Link, ...]:
    """Consecutive pieces under the same href, as links; a space between two joins them."""
    links: list[Link] = []
    start = 0
    for end in range(1, len(texts) + 1):
        if end < len(texts) and (hrefs[end] == hrefs[start] or texts[end] == " "):
            continue
        if (href := hrefs[start]) is not None:
            links.append(Link(href, _squash("".join(texts[start:end]))))
        start = end
    return tuple(links)


def _context(parent: LexborNode | None) -> tuple[LexborNode, str | None]:
    """The nearest block-level ancestor and the href of the nearest link inside it."""
    href = None
    assert parent is not None
    while parent.tag in tb._INLINE_TAGS:
        if parent.tag == "a" and href is None:
            href = parent.attrs.get("href")
        assert parent.parent is not None
        parent = parent.parent
    return parent, href


def _links_around_blocks(root: LexborNode) -> dict[int, str]:
    """Links that wrap block elements, by the wrapped element."""
    wrapped: dict[int, str] = {}
    for node in root.css("a[href] *"):
        if node.tag in tb._INLINE_TAGS:
            continue
        anchor = next(a for a in tb.ancestors(node) if a.tag == "a" and "href" in a.attrs)
        wrapped[node.mem_id] = anchor.attrs.get("href") or ""
    return wrapped


def readings(blocks: list[Block]) -> list[tuple[str, tuple[Link, ...], str | None, object]]:
    """What a block says, and the element it came from (by tag and attributes)."""
    return [(b.text, b.links, b.tag, b.node and sorted(b.node.attributes.items())) for b in blocks]


@pytest.mark.parametrize(
    "path", sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".html", ".xhtml"))
)
def test_every_rendering_reads_as_the_reference(path: Path) -> None:
    html = path.read_text()
    assert readings(tb.page_blocks(html)) == readings(reference_blocks(html))


WORDS = ["LG", "Code", "Mar 2, 2023", "Ann Lee, Bob Kim", "x", " ", "  ", "\n", "\u00a0", "&amp;"]
INLINE = ["span", "b", "a", "time", "em", "label"]
BLOCK = ["div", "p", "h3", "li", "header", "footer", "nav", "article", "pre", "br", "hr", "x-card"]
ATTRIBUTES = [
    "", "", "", ' href="/p/1"', " href", ' href=""', " hidden", ' style="display:none"',
    ' role="navigation"', ' aria-hidden="true"', ' class="sr-only"', ' datetime="2023-03-02"',
    ' datetime="soon"', ' alt="Code"', ' alt=" "', ' aria-label="Code"', ' title="Code"',
]  # fmt: skip
LEAVES = [
    "<!-- c -->", '<img alt="Code">', "<img src=x>", "<br>", "<hr>", "<wbr>", "<input>",
    "<script>h-index 9</script>", "<noscript>Code</noscript>", "<style>p {}</style>",
    "<svg><title>Code</title><path d='M0'/></svg>", '<svg aria-hidden="true"><path/></svg>',
]  # fmt: skip


@st.composite
def markup(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 9))
    if depth > 3 or kind < 4:
        return draw(st.sampled_from(WORDS))
    if kind == 4:
        return draw(st.sampled_from(LEAVES))
    tag = draw(st.sampled_from(INLINE if kind < 7 else BLOCK))
    attributes = draw(st.sampled_from(ATTRIBUTES))
    if tag in ("br", "hr"):
        return f"<{tag}{attributes}>"
    children = "".join(draw(st.lists(markup(depth + 1), max_size=4)))
    return f"<{tag}{attributes}>{children}</{tag}>"


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(markup(), min_size=1, max_size=8))
def test_any_markup_reads_as_the_reference(parts: list[str]) -> None:
    html = "<html><body>" + "".join(parts) + "</body></html>"
    assert readings(tb.page_blocks(html)) == readings(reference_blocks(html))


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab -.\n\t\r\f\v\x1c\u00a0\u2011\u00ad\u200b©|")))
def test_whitespace_is_squashed_as_the_reference_squashes_it(text: str) -> None:
    assert tb.squash_whitespace(text) == _squash(text)
    assert tb.squash_whitespace(text * 40) == _squash(text * 40)  # long texts go another way


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(
        st.sampled_from(["<p>", "a", ":", "xmlns", "xmlns:", "\u2014", "\ud800", "\U0001f600"])
        | st.text(max_size=3),
        max_size=40,
    ),
    st.integers(min_value=0, max_value=3 * tb._ENCODED_SLICE),
)
def test_pages_are_encoded_as_a_whole(parts: list[str], ascii_length: int) -> None:
    page = "x" * ascii_length + "".join(parts)
    assert tb._utf8(page) == page.encode(errors="ignore")


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.sampled_from(["2023", "03", "-", "0", "\u0663", " ", "T", "Z", ":", "1"]), max_size=8
    ).map("".join)
    | st.text(max_size=12)
)
def test_datetime_values_read_as_the_regex_reads_them(value: str) -> None:
    match = re.match(r"\s*(\d{4}-\d{2}-\d{2})", value)
    assert tb._iso_date(value) == (match.group(1) if match else None)


@pytest.mark.parametrize(
    "body",
    [
        # Whitespace before a block, or at the end of one, is not looked for: the line ends.
        "<div><span>LG</span> <time datetime='2023-03-02'>Mar 2</time>\n<h3>Title</h3></div>",
        "<div><b>a</b> <p>b</p> <i>c</i> </div> <b>d</b>",
        "<pre><b>a</b>\n<p>b</p>\n<i>c</i>\n</pre><pre>x <b>y</b> </pre> z",
        "<pre><b>a</b>\n<script>s</script><b>b</b>\n<!-- c --><b>c</b></pre>",
        "<pre><b>a <i>b</i>\n</b>\n</pre><p><b>c <i>d</i> </b> e</p>",
        # Stand-ins and lone texts that take the short way and those that do not.
        "<p><img alt=' Code '> <img src=x> <time datetime='soon'>Soon</time></p>",
        "<p>  two  spaces  </p><p>tab\there</p><p>" + "long text " * 40 + "</p><p>caf\u00e9</p>",
        "<h3><a href='/p'>  one  link  </a></h3><h3><a href>no link</a></h3><li><b>x</b></li>",
    ],
)
def test_lines_around_blocks_read_as_the_reference(body: str) -> None:
    html = f"<html><body>{body}</body></html>"
    assert readings(tb.page_blocks(html)) == readings(reference_blocks(html))
