"""Turn a page (HTML of any shape, or plain text) into the visible text blocks a reader sees.

A block is the text of one block-level element (or one line of preformatted or plain text),
whitespace-normalised, in document order, with the links that appear in it and the element it
came from, so that callers can key on what the page says rather than on its markup. A thematic
break (`<hr>`, or a `---` line in plain text) is a block without text: it separates sections.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode


def _tag_names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Elements that flow inside a line. Anything else (including unknown and custom elements, and
# buttons, which render as separate boxes) starts a new block: splitting a line too often is
# recoverable, gluing two lines is not.
_INLINE_TAGS = _tag_names(
    """
    a abbr acronym b bdi bdo big cite code data del dfn em font i img ins kbd label mark
    math nobr q s samp small span strike strong sub sup time tt u var wbr
    """
)
_PREFORMATTED_TAGS = frozenset({"pre", "listing", "plaintext", "xmp"})
# Removed before reading: invisible, not text, or navigation. Kept to a few selectors because
# every selector in the list costs a test of every element; the candidates are filtered below.
# The elements removed for their tag alone are skipped by the reader instead, which looks at
# every tag anyway; all are removed first only when an icon may name a link (`_remove_invisible`).
_SKIPPED_TAGS = _tag_names("script style noscript template iframe object select textarea nav")
_REMOVED_BY_ATTRIBUTES = (
    'svg, [hidden], [style], [role], [aria-hidden="true"], .sr-only, .visually-hidden, footer'
)
_REMOVED = ", ".join(sorted(_SKIPPED_TAGS)) + ", " + _REMOVED_BY_ATTRIBUTES
_ALWAYS_REMOVED_TAGS = _SKIPPED_TAGS | {"svg"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CHROME_ROLES = frozenset({"navigation", "search", "contentinfo"})
_SCREEN_READER_CLASSES = frozenset({"sr-only", "visually-hidden"})
# A footer inside one of these belongs to it (a card's footer); only the page footer is chrome.
_SECTIONING_TAGS = frozenset({"article", "aside", "main", "nav", "section"})

# Characters a reader does not see (soft hyphen, zero-width spaces and joiners, BOM), and
# hyphens that look like the ASCII one (hyphen, non-breaking hyphen), which labels are read
# with. Regular expressions rather than str.translate, which is many times slower on long text.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_HYPHEN_LOOKALIKE = re.compile("[\u2010\u2011]")
_LONG_TEXT = 256  # characters: longer than a title or a line of names; an abstract
# A tag, with or without a namespace prefix (`<h:p>` in XHTML).
_HTML_TAG = re.compile(
    r"<(?:!--|!doctype|/?(?:[a-zA-Z][\w.-]*:)?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>)", re.IGNORECASE
)
_ISO_DATE_PREFIX = re.compile(r"\s*(\d{4}-\d{2}-\d{2})")
_XML_DECLARATION = re.compile(r"\s*<\?xml\b")
# Searched for in the page's UTF-8 bytes, with a regex: about twice as fast on a long page as
# `in`, whose search stalls on mispredicted branches, and as searching a str.
_NAMESPACE_DECLARATION = re.compile(b"xmlns:")
# A page is encoded to UTF-8 in slices of this many characters (`_utf8`).
_ENCODED_SLICE = 4096
_PLAIN_THEMATIC_BREAK = re.compile(r"([-*_])(?: ?\1){2,}")  # "---", "* * *", as in Markdown
# Prefixes bound to the namespaces an HTML parser knows by their bare names: XHTML, SVG, MathML.
_KNOWN_NAMESPACE_PREFIX = re.compile(
    r"""xmlns:([\w.-]+)\s*=\s*["']http://www\.w3\.org/(?:1999/xhtml|2000/svg|1998/Math/MathML)["']"""
)
_SELF_CLOSED = re.compile(r"<(?P<tag>[a-zA-Z][\w-]*)(?P<attributes>(?:\s[^<>]*?)?)\s*/>")
_VOID_TAGS = _tag_names("area base br col embed hr img input link meta param source track wbr")


def _tag_ids(names: frozenset[str]) -> frozenset[int]:
    """Lexbor's ids for these tag names.

    The loop over every node compares ids: `node.tag_id` is an int, where `node.tag` builds a
    new string each time. Known tags have fixed ids; unknown and custom ones get ids of their
    own, which are in no set here, just as their names are not.
    """
    factory = LexborHTMLParser("")
    return frozenset(factory.create_node(name).tag_id for name in names)


def _node_kind_id(html: str) -> int:
    """The id lexbor gives the first node inside the `<p>` of this snippet (text, comment)."""
    paragraph = LexborHTMLParser(html).css_first("p")
    child = paragraph.first_child if paragraph is not None else None
    assert child is not None
    return child.tag_id


_TEXT_ID = _node_kind_id("<p>text</p>")
_COMMENT_ID = _node_kind_id("<p><!-- comment --></p>")
_INLINE_IDS = _tag_ids(_INLINE_TAGS)
_PREFORMATTED_IDS = _tag_ids(_PREFORMATTED_TAGS)
(_A_ID,) = _tag_ids(frozenset({"a"}))
(_HR_ID,) = _tag_ids(frozenset({"hr"}))
(_FOOTER_ID,) = _tag_ids(frozenset({"footer"}))
(_SVG_ID,) = _tag_ids(frozenset({"svg"}))
_SKIPPED_IDS = _tag_ids(_SKIPPED_TAGS)
_ALWAYS_REMOVED_IDS = _tag_ids(_ALWAYS_REMOVED_TAGS)
_SECTIONING_IDS = _tag_ids(_SECTIONING_TAGS)
(_IMG_ID,) = _tag_ids(frozenset({"img"}))
(_TIME_ID,) = _tag_ids(frozenset({"time"}))
_STAND_IN_IDS = frozenset({_IMG_ID, _TIME_ID})
# What sits inside a line, where the whitespace before it counts (`_read_blocks`): anything
# but a block, which ends the line before it. Skipped elements are in, as they are invisible.
_IN_LINE_IDS = _INLINE_IDS | _SKIPPED_IDS | {_TEXT_ID, _COMMENT_ID}


# What `attrs.get` returns for an `<a>` without an href: no attribute value can be a NUL, which
# the parser replaces.
_NO_HREF = "\0"


# Named tuples rather than frozen dataclasses: a page makes hundreds of them, and they are
# several times cheaper to create.
class Link(NamedTuple):
    """An `<a href>` as it appears inside one block."""

    href: str
    text: str


class Block(NamedTuple):
    """One visible line of the page, or a thematic break between two parts of it."""

    text: str  # empty for a thematic break
    links: tuple[Link, ...] = ()
    node: LexborNode | None = None  # the nearest block-level element; None for plain text

    @property
    def tag(self) -> str | None:
        return self.node.tag if self.node is not None else None

    @property
    def is_break(self) -> bool:
        return not self.text


# The reader makes its named tuples with `tuple.__new__`, which skips the Python-level
# `__new__` of a named tuple's constructor: a third of the cost of making one.
_tuple_new = tuple.__new__


def page_blocks(text: str) -> list[Block]:
    """The visible blocks of `text`, read as HTML when it has tags and as plain lines otherwise."""
    if _HTML_TAG.search(text):
        return html_blocks(text)
    return plain_blocks(text)


def plain_blocks(text: str) -> list[Block]:
    """One block per non-blank line."""
    blocks = []
    for line in text.splitlines():
        squashed = squash_whitespace(line)
        if _PLAIN_THEMATIC_BREAK.fullmatch(squashed):
            blocks.append(Block(""))
        elif squashed:
            blocks.append(Block(squashed))
    return blocks


def html_blocks(html: str) -> list[Block]:
    """The visible blocks of an HTML document, skipping scripts, hidden elements and navigation."""
    html = html.removeprefix("\ufeff")  # a byte-order mark before the doctype would start the body
    data = _utf8(html)
    if _XML_DECLARATION.match(html) or _NAMESPACE_DECLARATION.search(data):
        data = _utf8(_xml_as_html(html))
    tree = LexborHTMLParser(data)
    root = tree.body or tree.root
    if root is None:
        return []
    _remove_invisible(root)
    return _read_blocks(root)


def _utf8(html: str) -> bytes:
    """The document as the UTF-8 bytes the parser reads: encoded as selectolax encodes text.

    A page with a few characters beyond ASCII (a dash in its title, a copyright sign) is
    stored with two bytes a character, which the encoder reads one by one. It is encoded in
    slices: a slice of ASCII text is copied into a string of one byte a character, which is
    encoded at the speed of a copy, so that only the slices with other characters are read
    character by character; the whole page costs about half as much.
    """
    if html.isascii():  # O(1)
        return html.encode()
    size = _ENCODED_SLICE
    # Each character is encoded on its own, so that the slices' bytes are the page's; lone
    # surrogates cannot be encoded, and are dropped.
    return b"".join(
        [html[start : start + size].encode(errors="ignore") for start in range(0, len(html), size)]
    )


def _xml_as_html(xhtml: str) -> str:
    """An XHTML document rewritten as the HTML a browser builds from it, for an HTML parser.

    In XML, `<span/>` is an empty element and `<h:p>` (with the XHTML namespace bound to `h`)
    is a paragraph; an HTML parser reads the first as an unclosed span and the second as an
    unknown element. Prefixes of the SVG and MathML namespaces go too, for the same reason.
    """
    prefixes = "|".join(re.escape(p) for p in _KNOWN_NAMESPACE_PREFIX.findall(xhtml))
    if prefixes:
        xhtml = re.sub(rf"<(/?)(?:{prefixes}):", r"<\1", xhtml)
    return _SELF_CLOSED.sub(_close_empty_element, xhtml)


def _close_empty_element(match: re.Match[str]) -> str:
    tag, attributes = match.group("tag"), match.group("attributes")
    if tag.lower() in _VOID_TAGS:
        return match.group(0)
    return f"<{tag}{attributes}></{tag}>"


def squash_whitespace(text: str) -> str:
    """Collapse runs of whitespace to single spaces, drop invisible characters, strip the ends.

    Hyphens that look like the ASCII one become it: "h-index" with a non-breaking hyphen
    (U+2011) reads as the label it shows.
    """
    text = text.strip()
    if text.isascii():  # O(1) in CPython; then a few fast scans settle the common case
        if len(text) < _LONG_TEXT and text.isprintable():
            # isprintable() is False for every whitespace character but the plain space; on
            # a long text (an abstract), a scan for each character is faster.
            squashed = "  " not in text
        else:
            # Written out: each `in` is a fast scan, a loop over the characters costs more.
            squashed = not (
                "  " in text
                or "\n" in text
                or "\t" in text
                or "\r" in text
                or "\f" in text
                or "\v" in text
            )
        return text if squashed else " ".join(text.split())
    text = _HYPHEN_LOOKALIKE.sub("-", _INVISIBLE.sub("", text))
    # isprintable() is False for every whitespace character but the plain space.
    if text.isprintable() and "  " not in text:
        return text
    return " ".join(text.split())


def ancestors(node: LexborNode) -> Iterator[LexborNode]:
    """The element itself, then its parents up to the document."""
    current: LexborNode | None = node
    while current is not None and not current.is_document_node:
        yield current
        current = current.parent


def contains(container: LexborNode, node: LexborNode) -> bool:
    # Compare by identity: LexborNode.__eq__ compares serialised HTML, which is very slow.
    wanted = container.mem_id
    current: LexborNode | None = node
    while current is not None and not current.is_document_node:  # `ancestors`, written out
        if current.mem_id == wanted:
            return True
        current = current.parent
    return False


def outermost_without(node: LexborNode, other: LexborNode) -> LexborNode | None:
    """The outermost ancestor of `node` (itself included) that does not also contain `other`."""
    others = {ancestor.mem_id for ancestor in ancestors(other)}
    best = None
    for ancestor in ancestors(node):
        if ancestor.mem_id in others:
            break
        best = ancestor
    return best


def _remove_invisible(root: LexborNode) -> None:
    """Remove what no reader sees; the elements of `_SKIPPED_TAGS` are left to the reader.

    An icon in a link may stand for the link's name (`_icon_link_name`), which is read from
    the tree as the removals after the icon leave it: then every removal is made here.
    """
    doomed = [node for node in root.css(_REMOVED_BY_ATTRIBUTES) if _is_invisible(node)]
    if any(node.tag_id == _SVG_ID and _enclosing_link(node) is not None for node in doomed):
        doomed = [node for node in root.css(_REMOVED) if _is_invisible(node)]
    # Innermost first: decomposing an element frees its descendants.
    for node in reversed(doomed):
        name = _icon_link_name(node) if node.tag_id == _SVG_ID else None
        if name:
            node.replace_with(f" {name} ")
        else:
            node.decompose()


def _icon_link_name(icon: LexborNode) -> str | None:
    """The name of a link that shows nothing but this icon, as a screen reader says it.

    A link with text of its own (shown, or for screen readers only) keeps it; otherwise the
    name is the link's `aria-label`, else the icon's `<title>` tooltip, else the link's
    `title`: a Code badge drawn as an icon still says "Code".
    """
    link = _enclosing_link(icon)
    if link is None:
        return None
    beside = link.text(deep=True).replace(icon.text(deep=True), "", 1)
    if any(character.isalnum() for character in beside):
        return None
    attrs = link.attributes
    tooltips = [title.text() for title in icon.css("title")]
    for name in (attrs.get("aria-label"), *tooltips, attrs.get("title")):
        if name and name.strip():
            return name.strip()
    return None


def _names_icon_only_link(node: LexborNode) -> bool:
    """Whether screen-reader-only text is all its link says besides icons: the link's name."""
    link = _enclosing_link(node)
    if link is None:
        return False
    rest = link.text(deep=True).replace(node.text(deep=True), "", 1)
    for icon in link.css("svg"):
        rest = rest.replace(icon.text(deep=True), "", 1)
    return not any(character.isalnum() for character in rest)


def _enclosing_link(node: LexborNode) -> LexborNode | None:
    """The link that an element sits in, inside its line."""
    parent = node.parent
    while parent is not None and parent.tag in _INLINE_TAGS:
        if parent.tag == "a":
            return parent
        parent = parent.parent
    return None


def _is_invisible(node: LexborNode) -> bool:
    """Whether a reader never sees this element's text, or sees it only as site navigation."""
    tag_id = node.tag_id
    if tag_id in _ALWAYS_REMOVED_IDS:
        return True
    attrs = node.attributes  # one dict: many times faster than a lookup per attribute
    if "hidden" in attrs or _HIDDEN_STYLE.search(attrs.get("style") or ""):
        return True
    if (attrs.get("role") or "").strip().lower() in _CHROME_ROLES:
        return True
    classes = attrs.get("class") or ""
    if not _SCREEN_READER_CLASSES.isdisjoint(classes.split()):
        return not _names_icon_only_link(node)
    if attrs.get("aria-hidden") == "true" and _is_icon(node, classes):
        return True
    return tag_id == _FOOTER_ID and not any(a.tag_id in _SECTIONING_IDS for a in ancestors(node))


def _is_icon(node: LexborNode, classes: str) -> bool:
    """A decorative icon: an icon font's ligature ("calendar_today") or a lone symbol or emoji.

    Only elements hidden from screen readers are candidates: those that hold data (a number
    shown twice, once for the eye and once for the ear) keep their letters and digits.
    """
    if "icon" in classes or "material-symbols" in classes:
        return True
    text = node.text(deep=True)
    return not any(character.isalnum() for character in text)


def _read_blocks(root: LexborNode) -> list[Block]:
    """Cut the text into blocks: a block element or a line break always starts a new one.

    One walk down the tree, which hands each element's children what they need from its
    ancestors (the block they sit in, the link around them), so that no text has to look its
    ancestors up. This is the one loop that touches every node, so it is written out in one
    function, its state in local variables, with a stack of the elements being read in place
    of recursion.
    """
    blocks: list[Block] = []
    # The block being read, `current`, in pieces, each under one link (`_links`) or none.
    texts: list[str] = []
    hrefs: list[str | None] = []
    current: LexborNode = root
    preformatted = space_pending = False
    text_id, a_id, hr_id, time_id, img_id = _TEXT_ID, _A_ID, _HR_ID, _TIME_ID, _IMG_ID
    inline_ids, stand_in_ids, in_line_ids = _INLINE_IDS, _STAND_IN_IDS, _IN_LINE_IDS
    preformatted_ids, long_text = _PREFORMATTED_IDS, _LONG_TEXT
    # The element whose children are being read, and those children; the block they sit in;
    # the link their text belongs to (the nearest inside the block, else the one around the
    # block itself: a whole card as one link); the nearest link around them, which the blocks
    # inside them take. The children come without the whitespace between tags (`iter(True,
    # True)`: with text, without empty text; positional, as keywords cost more to pass), which
    # counts only inside a line (`texts`), and is then looked for before the next child, or
    # after the last; not where a block starts or ends, which ends the line anyway.
    parent, nodes, block, href, wrap = root, root.iter(True, True), root, None, None
    stack: list[tuple[LexborNode, Iterator[LexborNode], LexborNode, str | None, str | None]] = []
    while True:
        for node in nodes:
            tag_id = node.tag_id
            text: str | None = None  # what an element stands for
            if tag_id not in in_line_ids:  # a block, which ends the line before it
                if texts:
                    _add_block(blocks, texts, hrefs, current)
                    space_pending = False
                if tag_id == hr_id:
                    blocks.append(Block("", (), node))
                child = node.first_child
                if child is None:
                    continue
                # A block of one text (a paragraph, a heading, or one with a link or a span
                # around its text) is a line of its own, read here without joining the others;
                # the state is as its end leaves it.
                lone: LexborNode | None = None
                only_child = child.next is None
                if only_child and tag_id not in preformatted_ids:
                    child_id = child.tag_id
                    if child_id == text_id:
                        lone, text_href = child, wrap
                    elif child_id in inline_ids and child_id not in stand_in_ids:
                        lone, text_href = child.first_child, wrap
                        if lone is None or lone.next is not None or lone.tag_id != text_id:
                            lone = None
                        elif child_id == a_id:
                            target = child.attrs.get("href")
                            if target is not None:
                                text_href = target
                if lone is not None:
                    text = lone.text_content or ""
                    # The usual line, short printable ASCII with single spaces, needs a strip
                    # alone: the common case of `squash_whitespace`, without a call.
                    if text.isascii() and len(text) < long_text and text.isprintable():
                        text = text.strip() if "  " not in text else " ".join(text.split())
                    else:
                        text = squash_whitespace(text)
                    if text:
                        links = () if text_href is None else (_tuple_new(Link, (text_href, text)),)
                        blocks.append(_tuple_new(Block, (text, links, node)))
                    continue
                if only_child and child.tag_id == text_id:  # in a preformatted block
                    text_block, text_href = node, wrap
                    node = child
                else:
                    stack.append((parent, nodes, block, href, wrap))
                    parent, nodes, block, href = node, node.iter(True, True), node, wrap
                    break
            else:
                # Whitespace left out before this child (see above); `is_empty_text_node` is
                # False for an element.
                if texts and (before := node.prev) is not None and before.is_empty_text_node:
                    space_pending = not (
                        preformatted
                        and _ends_line(before.text_content, blocks, texts, hrefs, current)
                    )
                if tag_id == text_id:
                    text_block, text_href = block, href
                elif tag_id in inline_ids:
                    text_block, text_href = block, href
                    if tag_id == time_id:
                        text = _iso_date(node.attrs.get("datetime") or "")
                    elif tag_id == img_id:
                        text = _alt_text(node)
                    if text is None:
                        inner_wrap = wrap
                        # One lookup: `in`, then `get`, would each read the attribute.
                        if tag_id == a_id and (target := node.attrs.get("href", _NO_HREF)) is not (
                            _NO_HREF
                        ):
                            if target is not None:  # `<a href>` with no value links nowhere
                                text_href = target
                            inner_wrap = target or ""
                        # An element that holds one text (most links and spans) is read as that
                        # text, without a walk of its own.
                        child = node.first_child
                        if child is None or child.next is not None or child.tag_id != text_id:
                            if child is not None:
                                stack.append((parent, nodes, block, href, wrap))
                                parent, nodes = node, node.iter(True, True)
                                href, wrap = text_href, inner_wrap
                                break
                            continue
                        node = child
                else:  # a comment sits inside a line without breaking it
                    continue  # and the skipped elements are removed, see `_remove_invisible`
            if text is None:  # a text node: the whitespace between tags is rarely read here
                text = node.text_content or ""
                if not text or text.isspace():
                    # Whitespace between inline elements counts only if more text follows.
                    space_pending = bool(texts) and not (
                        preformatted and _ends_line(text, blocks, texts, hrefs, current)
                    )
                    continue
            # `text` belongs to `text_block`, under `text_href`.
            if text_block is not current:
                if texts:
                    _add_block(blocks, texts, hrefs, current)
                    space_pending = False
                current = text_block
                preformatted = text_block.tag_id in _PREFORMATTED_IDS
            elif space_pending:
                texts.append(" ")
                hrefs.append(None)
                space_pending = False
            if preformatted and "\n" in text:
                *lines, text = text.split("\n")
                for line in lines:
                    texts.append(line)
                    hrefs.append(text_href)
                    _add_block(blocks, texts, hrefs, current)
                    space_pending = False
            texts.append(text)
            hrefs.append(text_href)
        else:  # the children are read: back to their parent's
            if (  # `parent is block`: the line ends with it (see above)
                texts
                and parent is not block
                and (after := parent.last_child) is not None
                and after.is_empty_text_node
            ):
                space_pending = not (
                    preformatted and _ends_line(after.text_content, blocks, texts, hrefs, current)
                )
            if not stack:
                break
            parent, nodes, block, href, wrap = stack.pop()
    if texts:
        _add_block(blocks, texts, hrefs, current)
    return blocks


def _ends_line(
    whitespace: str | None,
    blocks: list[Block],
    texts: list[str],
    hrefs: list[str | None],
    node: LexborNode,
) -> bool:
    """Whether whitespace in preformatted text breaks the line; if so, the line is added."""
    if whitespace is None or "\n" not in whitespace:
        return False
    if texts:
        _add_block(blocks, texts, hrefs, node)
    return True


def _add_block(
    blocks: list[Block], texts: list[str], hrefs: list[str | None], node: LexborNode
) -> None:
    """Add the block made of these pieces of text, and empty the lists of pieces."""
    text = squash_whitespace(texts[0] if len(texts) == 1 else "".join(texts))
    if text:
        links: tuple[Link, ...] = ()
        if len(hrefs) == 1:  # the common case: one run of text, a link or not
            if hrefs[0] is not None:
                links = (_tuple_new(Link, (hrefs[0], text)),)
        elif hrefs.count(None) != len(hrefs):
            links = _links(texts, hrefs)
        blocks.append(_tuple_new(Block, (text, links, node)))
    texts.clear()
    hrefs.clear()


def _alt_text(image: LexborNode) -> str | None:
    """The alt text of an `<img>`, which text browsers and screen readers show in its place.

    None when it has none. The other element read as a stand-in, `<time datetime>`, reads as
    its ISO date (`_iso_date`), which is more exact than its visible text.
    """
    alt = (image.attrs.get("alt") or "").strip()
    return f" {alt} " if alt else None  # an image is a box of its own inside the line


def _iso_date(value: str) -> str | None:
    """The ISO date a `datetime` value begins with, if it does."""
    # The usual value, a date alone, is read without the regex, at a fraction of its cost:
    # with its two hyphens in place, it is a date if the first two are the only ones and the
    # rest are digits (`isdecimal` holds for the characters `\d` matches).
    if len(value) == 10 and value[4] == value[7] == "-":
        return value if value.replace("-", "", 2).isdecimal() else None
    match = _ISO_DATE_PREFIX.match(value)
    return match.group(1) if match else None


def _links(texts: list[str], hrefs: list[str | None]) -> tuple[Link, ...]:
    """Consecutive pieces under the same href, as links; a space between two belongs to neither."""
    links: list[Link] = []
    count = len(texts)
    start = 0
    while start < count:
        href = hrefs[start]
        end = start + 1
        while end < count and (hrefs[end] == href or texts[end] == " "):
            end += 1
        if href is not None:
            text = squash_whitespace("".join(texts[start:end]))
            links.append(_tuple_new(Link, (href, text)))
        start = end
    return tuple(links)
