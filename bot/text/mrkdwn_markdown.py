"""Slack mrkdwn <-> Markdown (CommonMark with ~~strike~~), for providers whose content is Markdown.

Markdown is parsed by markdown-it-py (CommonMark's reference algorithm); mrkdwn has no published grammar,
so its side is a small scanner that follows Slack's formatting reference:
https://api.slack.com/reference/surfaces/formatting
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from bot.text.inline import emojize, mention_known_users
from bot.text.markup import escape_for_slack

__all__ = ["markdown_to_mrkdwn", "mrkdwn_to_markdown"]

# Raw HTML off: a provider's `<b>` is shown as typed, never interpreted.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")

_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
# A label that names an address is shown beside its real target, so a link cannot pretend to go elsewhere.
_ADDRESS = re.compile(r"://|(^|[\s(])(www\.|[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}([/:\s)]|$))|@[\w-]+\.[\w.-]+")


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


# --------------------------------------------------------------------------------- mrkdwn -> Markdown

# Spans that are not scanned for emphasis: code (fenced, inline) and `<...>` tokens.
_SPANS = re.compile(r"(?P<fence>```(?P<fenced>.*?)```)|(?P<code>`[^`\n]+`)|(?P<token><[^<>]*>)", re.S)
# Slack's emphasis: the marker touches a non-space character inside and no letter or digit outside.
_EMPHASIS = [
    (re.compile(r"(?<![A-Za-z0-9*])\*(?=\S)([^*\n]*?[^\s*])\*(?![A-Za-z0-9*])"), "**"),
    (re.compile(r"(?<![A-Za-z0-9_])_(?=\S)([^_\n]*?[^\s_])_(?![A-Za-z0-9_])"), "*"),
    (re.compile(r"(?<![A-Za-z0-9~])~(?=\S)([^~\n]*?[^\s~])~(?![A-Za-z0-9~])"), "~~"),
]
_MD_SPECIAL = re.compile(r"([\\`*_~\[\]<>])|&(?=#?\w+;)")
_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+[.)](?=\s|$))?")
_QUOTE = re.compile(r"^&gt; ?")
_BULLETS = {"• ": "- ", "◦ ": "  - ", "▪ ": "    - "}


def mrkdwn_to_markdown(text: str, *, users: Mapping[str, str]) -> str:
    """Slack message text as Markdown; `users` maps user id to display name for mentions."""
    text = emojize(text)
    spans: list[str] = []
    base = _private_base(text)

    def protect(rendered: str) -> str:
        spans.append(rendered)
        return chr(base + len(spans) - 1)

    def span(match: re.Match[str]) -> str:
        if match.group("fence") is not None:
            code = _unescape(match.group("fenced")).removeprefix("\n").removesuffix("\n")
            before = "" if match.start() == 0 or text[match.start() - 1] == "\n" else "\n"
            after = "" if match.end() == len(text) or text[match.end()] == "\n" else "\n"
            return protect(f"{before}```\n{code}\n```{after}")
        if match.group("code") is not None:
            return protect(_unescape(match.group("code")))
        return protect(_token_to_markdown(match.group("token")[1:-1], users))

    shielded = _SPANS.sub(span, text)
    lines = [_line_to_markdown(line, protect) for line in shielded.split("\n")]
    out = "\n".join(lines)
    for n in range(len(spans) - 1, -1, -1):  # spans can nest (a token inside a line), so restore in reverse
        out = out.replace(chr(base + n), spans[n])
    return out


def _private_base(text: str) -> int:
    """First of a run of private-use code points the text does not contain, for placeholders."""
    used = {ord(c) for c in text if 0xF0000 <= ord(c) <= 0xFFFFD}
    base = 0xF0000
    while any(base <= u < base + len(text) + 64 for u in used):
        base += len(text) + 64
    return base


def _line_to_markdown(line: str, protect: Callable[[str], str]) -> str:
    prefix = ""
    quote = _QUOTE.match(line)
    if quote:
        prefix, line = "> ", line[quote.end() :]
    item = False
    for bullet, markdown in _BULLETS.items():
        if line.startswith(bullet):
            prefix, line, item = prefix + markdown, line[len(bullet) :], True
            break
    else:
        # "1. x" stays an ordered list item; other block markers at the start are escaped below.
        ordered = re.match(r"\d+\. (?=\S)", line)
        if ordered:
            prefix, line, item = prefix + ordered.group(0), line[ordered.end() :], True
    for pattern, marker in _EMPHASIS:

        def emphasis(match: re.Match[str], marker: str = marker) -> str:
            return protect(marker) + match.group(1) + protect(marker)

        line = pattern.sub(emphasis, line)
    escaped = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), _unescape(line))
    if not item:
        # Text that Markdown would read as a heading, a list, a rule or indented code stays text.
        start = _LINE_START.match(escaped)
        assert start is not None  # the pattern matches the empty string
        indent, marker = start.group(1), start.group(2) or ""
        if len(indent) >= 4:
            indent = "&#32;" + indent[1:]
        if marker:
            marker = marker[:-1] + "\\" + marker[-1]
        escaped = indent + marker + escaped[start.end() :]
    return prefix + escaped


def _markdown_escape(text: str) -> str:
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def _destination(url: str) -> str:
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


def _token_to_markdown(body: str, users: Mapping[str, str]) -> str:
    target, _, raw_label = body.partition("|")
    label = _unescape(raw_label)
    if target.startswith("@") and len(target) > 1:
        return "@" + _markdown_escape(users.get(target[1:]) or label or target[1:])
    if target.startswith("#") and len(target) > 1:
        return "#" + _markdown_escape(label or target[1:])
    if target.startswith("!"):
        kind, _, argument = target[1:].partition("^")
        if kind in ("here", "channel", "everyone"):
            return "@" + kind
        if kind == "subteam" and argument:
            handle = label or argument
            return _markdown_escape(handle if handle.startswith("@") else "@" + handle)
        if label:
            return _markdown_escape(label)
    elif _SCHEME.match(target):
        url = _unescape(target)
        if not label or label == url:
            return f"<{url}>" if not re.search(r"[\s<>]", url) else _markdown_escape(url)
        return f"[{_markdown_escape(label)}]({_destination(url)})"
    return _markdown_escape(_unescape("<" + body + ">"))


# --------------------------------------------------------------------------------- Markdown -> mrkdwn


def markdown_to_mrkdwn(text: str, *, users: Mapping[str, str]) -> str:
    """Markdown as safe Slack mrkdwn: escaped, links only to http(s)/mailto, mentions only of `users`."""
    root = SyntaxTreeNode(_MARKDOWN.parse(text))
    return _Renderer(text.split("\n"), users).blocks(root.children)


class _Renderer:
    def __init__(self, source: list[str], users: Mapping[str, str]) -> None:
        self.source = source
        self.users = users

    def blocks(self, nodes: list[SyntaxTreeNode]) -> str:
        out: list[str] = []
        for node in nodes:
            if out:
                out.append(self.gap(node))
            out.append(_block(node, self))
        return "".join(out)

    def gap(self, node: SyntaxTreeNode) -> str:
        """Blocks are apart in mrkdwn as they were in the source: on the next line, or after a blank one."""
        start = node.map[0] if node.map else 0
        blank = 0 < start <= len(self.source) and not self.source[start - 1].strip(" >\t")
        return "\n\n" if blank else "\n"


def _block(node: SyntaxTreeNode, renderer: _Renderer) -> str:
    users = renderer.users
    kind = node.type
    if kind == "paragraph":
        return _inline(node.children, users)
    if kind == "heading":
        inner = _inline(node.children, users)
        return f"*{inner}*" if inner else ""
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, renderer, depth=0)
    if kind == "blockquote":
        inner = renderer.blocks(node.children)
        return "\n".join("&gt; " + line if line else "&gt;" for line in inner.split("\n"))
    if kind in ("fence", "code_block"):
        return "```\n" + escape_for_slack(node.content.removesuffix("\n")) + "\n```"
    if kind == "hr":
        return "———"
    return escape_for_slack(node.content)


def _list(node: SyntaxTreeNode, renderer: _Renderer, *, depth: int) -> str:
    number = int(str(node.attrs.get("start", 1)))
    lines: list[str] = []
    indent = "    " * depth
    for item in node.children:
        # Each item keeps the number it was written with (markdown-it keeps it in `info`).
        number = int(item.info) if item.info.isdigit() else number
        marker = f"{number}." if node.type == "ordered_list" else ("•" if depth == 0 else "◦")
        number += 1
        parts: list[str] = []
        for child in item.children:
            if child.type in ("bullet_list", "ordered_list"):
                parts.append(_list(child, renderer, depth=depth + 1))
            else:
                parts.append("\n".join(indent + "    " + line for line in _block(child, renderer).split("\n")))
        body = "\n".join(parts)
        first = body.removeprefix(indent + "    ") if body.startswith(indent + "    ") else body
        if lines:
            lines.append(renderer.gap(item))
        lines.append(f"{indent}{marker} {first}" if first else f"{indent}{marker}")
    return "".join(lines)


def _inline(nodes: list[SyntaxTreeNode], users: Mapping[str, str]) -> str:
    out: list[str] = []
    for node in nodes:
        kind = node.type
        if kind == "inline":
            out.append(_inline(node.children, users))
        elif kind == "text":
            out.append(mention_known_users(escape_for_slack(node.content), users))
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "code_inline":
            out.append("`" + escape_for_slack(node.content) + "`")
        elif kind in ("strong", "em", "s"):
            marker = {"strong": "*", "em": "_", "s": "~"}[kind]
            out.append(marker + _inline(node.children, users) + marker)
        elif kind == "link":
            out.append(_link(str(node.attrs.get("href", "")), _plain(node.children), node.markup == "autolink"))
        elif kind == "image":
            out.append(_link(str(node.attrs.get("src", "")), _plain(node.children), False))
        else:
            out.append(escape_for_slack(node.content))
    return "".join(out)


def _plain(nodes: list[SyntaxTreeNode]) -> str:
    return "".join(n.content if not n.children else _plain(n.children) for n in nodes)


def _link(url: str, label: str, autolink: bool) -> str:
    label = " ".join(label.split())
    if autolink and label.startswith("mailto:"):
        label = label.removeprefix("mailto:")
    safe = _safe_url(url)
    if safe is None:
        shown = escape_for_slack(label)
        return f"{shown} ({escape_for_slack(url)})" if url and url != label else shown
    if url.lower().startswith("mailto:") and label in ("", url, url[len("mailto:") :]):
        address = url[len("mailto:") :]
        return f"<{safe}|{escape_for_slack(address)}>"  # the address itself is the label: nothing to hide
    if autolink or not label or label == url:
        return f"<{safe}>"
    if _ADDRESS.search(label):
        return f"{escape_for_slack(label)} (<{safe}>)"
    return f"<{safe}|{escape_for_slack(label)}>"


def _safe_url(url: str) -> str | None:
    if not url.lower().startswith(_SAFE_SCHEMES) or re.search(r"[\s\x00-\x1f\x7f]", url):
        return None
    # `|` would end the URL inside `<url|label>`; `&`, `<`, `>` must be escaped in any mrkdwn.
    return escape_for_slack(url.replace("|", "%7C"))
