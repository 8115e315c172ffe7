"""A streaming reader for WordPress export files (WXR 1.0, 1.1 and 1.2).

The file is fed to expat in small chunks; only the element being read below ``<channel>`` (the
site title, one author, one item with its comments...) is held in memory, as a small ``Node``
tree, and it is dropped once the importer has handled it. A 200 MB export therefore needs about
as much memory as its largest post.

A DOCTYPE is refused: WordPress never writes one, and entity declarations are how an XML file
expands to gigabytes (or reads local files).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.parsers import expat

CHUNK_SIZE = 64 * 1024

# Namespace URIs -> the prefixes WordPress uses, whatever the file itself calls them.
_WP_NAMESPACE_RE = re.compile(r"^https?://wordpress\.org/export/1\.\d+/(excerpt/)?$")
_PREFIXES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://wellformedweb.org/CommentAPI/": "wfw",
}


class WXRError(Exception):
    """The file is not a readable WordPress export; nothing of it may be kept."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(slots=True)
class Node:
    """One element: its name ("wp:post_id"), attributes, text and child elements."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    _text: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self._text)

    def child(self, tag: str) -> Node | None:
        for node in self.children:
            if node.tag == tag:
                return node
        return None

    def value(self, tag: str, default: str = "") -> str:
        """The text of the first child called ``tag``, stripped ("" when it is missing)."""
        node = self.child(tag)
        return node.text.strip() if node is not None else default

    def all(self, tag: str) -> list[Node]:
        return [node for node in self.children if node.tag == tag]


def _name(expat_name: str) -> str:
    """'http://wordpress.org/export/1.2/ post_id' -> 'wp:post_id'."""
    uri, _, local = expat_name.rpartition(" ")
    if not uri:
        return local
    match = _WP_NAMESPACE_RE.match(uri)
    if match:
        return ("excerpt:" if match.group(1) else "wp:") + local
    prefix = _PREFIXES.get(uri)
    return f"{prefix}:{local}" if prefix else f"{{{uri}}}{local}"


def read_channel(stream: BinaryIO) -> Iterator[Node]:
    """Yield each element directly below <rss><channel>, in file order, as it completes."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Node] = []
    done: list[Node] = []
    depth = 0
    is_wxr = False  # a <channel> was found below <rss>
    in_channel = False

    def refuse_doctype(*args) -> None:
        raise WXRError("a DOCTYPE is not allowed in a WordPress export", parser.CurrentLineNumber)

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, is_wxr, in_channel
        depth += 1
        tag = _name(name)
        if depth == 1 and tag != "rss":
            raise WXRError(f"not a WordPress export: the root element is <{tag}>, not <rss>", 1)
        if depth == 2 and tag == "channel":
            is_wxr = in_channel = True
        if stack or (in_channel and depth == 3):
            node = Node(tag, {_name(k): v for k, v in attrs.items()}, parser.CurrentLineNumber)
            if stack:
                stack[-1].children.append(node)
            stack.append(node)

    def end(name: str) -> None:
        nonlocal depth, in_channel
        if stack:
            node = stack.pop()
            if not stack:
                done.append(node)
        elif depth == 2:
            in_channel = False
        depth -= 1

    def text(data: str) -> None:
        if stack:
            stack[-1]._text.append(data)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.buffer_text = True
    try:
        while chunk := stream.read(CHUNK_SIZE):
            parser.Parse(chunk, False)
            yield from done
            done.clear()
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise WXRError(
            f"the file is not well-formed XML ({expat.ErrorString(error.code)}, "
            f"column {error.offset + 1})",
            error.lineno,
        ) from None
    yield from done
    if not is_wxr:
        raise WXRError("not a WordPress export: there is no <channel> in <rss>")
