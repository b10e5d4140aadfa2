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
# every selector in the list costs a pass over the tree; the candidates are filtered below.
_REMOVED = (
    "script, style, noscript, template, svg, iframe, object, select, textarea, "
    '[hidden], [style], [role], [aria-hidden="true"], .sr-only, .visually-hidden, nav, footer'
)
_ALWAYS_REMOVED_TAGS = _tag_names(
    "script style noscript template svg iframe object select textarea nav"
)
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
# A tag, with or without a namespace prefix (`<h:p>` in XHTML).
_HTML_TAG = re.compile(
    r"<(?:!--|!doctype|/?(?:[a-zA-Z][\w.-]*:)?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>)", re.IGNORECASE
)
_ISO_DATE_PREFIX = re.compile(r"\s*(\d{4}-\d{2}-\d{2})")
_XML_DECLARATION = re.compile(r"\s*<\?xml\b")
# Searched for in the page's UTF-8 bytes, with a regex: about twice as fast on a long page as
# `in`, whose search stalls on mispredicted branches, and as searching a str.
_NAMESPACE_DECLARATION = re.compile(b"xmlns:")
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
# Comments, and anything left of the removed elements, sit inside a line without breaking it.
_NON_BREAKING_IDS = _INLINE_IDS | {_COMMENT_ID}


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
    _replace_by_visible_text(root)
    return _read_blocks(root)


def _utf8(html: str) -> bytes:
    """The document as the UTF-8 bytes the parser reads: encoded as selectolax encodes text."""
    return html.encode(errors="ignore")  # lone surrogates cannot be encoded, and are dropped


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
        # Written out: each `in` is a fast scan, a loop over the characters would cost more.
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
    return any(candidate.mem_id == wanted for candidate in ancestors(node))


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
    doomed = [node for node in root.css(_REMOVED) if _is_invisible(node)]
    # Innermost first: decomposing an element frees its descendants.
    for node in reversed(doomed):
        name = _icon_link_name(node) if node.tag == "svg" else None
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
    tag = node.tag
    if tag in _ALWAYS_REMOVED_TAGS:
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
    return tag == "footer" and not any(a.tag in _SECTIONING_TAGS for a in ancestors(node))


def _is_icon(node: LexborNode, classes: str) -> bool:
    """A decorative icon: an icon font's ligature ("calendar_today") or a lone symbol or emoji.

    Only elements hidden from screen readers are candidates: those that hold data (a number
    shown twice, once for the eye and once for the ear) keep their letters and digits.
    """
    if "icon" in classes or "material-symbols" in classes:
        return True
    text = node.text(deep=True)
    return not any(character.isalnum() for character in text)


def _replace_by_visible_text(root: LexborNode) -> None:
    """Replace the elements that stand for a text by that text.

    `<time datetime>` reads as its ISO date, which is more exact than its visible text, and
    `<img alt>` as its alt text, which text browsers and screen readers show in its place.
    """
    for node in root.css("time[datetime], img[alt]"):
        if node.tag == "img":
            alt = (node.attrs.get("alt") or "").strip()
            if alt:
                node.replace_with(f" {alt} ")  # an image is a box of its own inside the line
            continue
        match = _ISO_DATE_PREFIX.match(node.attrs.get("datetime") or "")
        if match:
            node.replace_with(match.group(1))


def _read_blocks(root: LexborNode) -> list[Block]:
    """Cut the text nodes into blocks: a block element or a line break always starts a new one.

    This is the one loop that touches every node, so its state lives in local variables.
    """
    blocks: list[Block] = []
    wrapped = _links_around_blocks(root)
    texts: list[str] = []
    hrefs: list[str | None] = []
    block: LexborNode = root
    block_id = -1
    preformatted = space_pending = False
    inline_ids, non_breaking_ids, text_id = _INLINE_IDS, _NON_BREAKING_IDS, _TEXT_ID

    def flush() -> None:
        nonlocal space_pending
        space_pending = False
        if not texts:
            return
        text = squash_whitespace("".join(texts))
        if text:
            links: tuple[Link, ...] = ()
            if len(hrefs) == 1:  # the common case: one run of text, a link or not
                if hrefs[0] is not None:
                    links = (Link(hrefs[0], text),)
            elif hrefs.count(None) != len(hrefs):
                links = _links(texts, hrefs)
            blocks.append(Block(text, links, block))
        texts.clear()
        hrefs.clear()

    for node in root.traverse(include_text=True):
        tag_id = node.tag_id
        if tag_id != text_id:
            if tag_id not in non_breaking_ids:
                if texts:
                    flush()
                if tag_id == _HR_ID:
                    blocks.append(Block("", (), node))
            continue
        # Most text nodes are the whitespace between tags: told apart without reading them.
        text = "" if node.is_empty_text_node else node.text_content or ""
        if not text or text.isspace():
            # Whitespace between inline elements counts only if more text follows in the block.
            if preformatted and "\n" in (node.text_content or ""):
                flush()
            elif texts:
                space_pending = True
            continue
        parent = node.parent
        if parent is None:
            continue
        href = None
        if parent.tag_id in inline_ids:
            parent, href = _context(parent)
        parent_id = parent.mem_id
        if href is None and wrapped:
            href = wrapped.get(parent_id)
        if parent_id != block_id:
            if texts:
                flush()
            block, block_id = parent, parent_id
            preformatted = parent.tag_id in _PREFORMATTED_IDS
        elif space_pending:
            texts.append(" ")
            hrefs.append(None)
            space_pending = False
        if preformatted and "\n" in text:
            *lines, text = text.split("\n")
            for line in lines:
                texts.append(line)
                hrefs.append(href)
                flush()
        texts.append(text)
        hrefs.append(href)
    flush()
    return blocks


def _links(texts: list[str], hrefs: list[str | None]) -> tuple[Link, ...]:
    """Consecutive pieces under the same href, as links."""
    links: list[Link] = []
    start = 0
    for end in range(1, len(texts) + 1):
        if end < len(texts) and (hrefs[end] == hrefs[start] or texts[end] == " "):
            continue  # a space between two links belongs to neither
        href = hrefs[start]
        if href is not None:
            links.append(Link(href, squash_whitespace("".join(texts[start:end]))))
        start = end
    return tuple(links)


def _context(inline: LexborNode) -> tuple[LexborNode, str | None]:
    """The nearest block-level ancestor of an inline element and the href of the link around it."""
    href = None
    parent: LexborNode | None = inline
    while parent is not None:
        tag_id = parent.tag_id
        if tag_id not in _INLINE_IDS:
            return parent, href
        if tag_id == _A_ID and href is None:
            href = parent.attrs.get("href")
        parent = parent.parent
    return inline, href


def _links_around_blocks(root: LexborNode) -> dict[int, str]:
    """Links that wrap block elements (a whole card as one link), by the wrapped element."""
    wrapped: dict[int, str] = {}
    for node in root.css("a[href] *"):
        if node.tag in _INLINE_TAGS:
            continue
        anchor = next((a for a in ancestors(node) if a.tag == "a" and "href" in a.attrs), None)
        if anchor is not None:
            wrapped[node.mem_id] = anchor.attrs.get("href") or ""
    return wrapped
