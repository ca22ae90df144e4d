"""Slack mrkdwn <-> each provider's text format (bot/text/formats.py, bot/text/mrkdwn_markdown.py) and the cutting
of long mrkdwn into Slack-sized parts (bot/text/split.py): tables of cases and hypothesis properties."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.text.formats import TextFormat, provider_to_slack, slack_to_provider
from bot.text.split import FENCE, split_mrkdwn

PLAIN, MARKDOWN = TextFormat.PLAIN, TextFormat.MARKDOWN
USERS = {"U111": "Ada Lovelace", "U222": "grace", "U444": "Tom & <Jerry>"}
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# (Slack mrkdwn as Slack sends it, the provider's text) ------------------------------------------------

SLACK_TO_PLAIN = [
    ("*bold* _it_ ~st~ `code`", "*bold* _it_ ~st~ `code`"),  # markers read well as they are
    ("```\nif a &lt; b:\n    pass\n```", "```\nif a < b:\n    pass\n```"),
    ("&gt; quoted\n&gt; twice", "> quoted\n> twice"),
    ("• one\n• two\n1. first", "• one\n• two\n1. first"),
    ("<https://x.io/?a=1&amp;b=2|the docs>", "the docs (https://x.io/?a=1&b=2)"),
    ("<https://x.io>", "https://x.io"),
    ("<@U111> and <@U999|old-name>", "@Ada Lovelace and @old-name"),
    ("in <#C1|ops> <!here>", "in #ops @here"),
    (":tada: :+1: :white_check_mark: :partyparrot:", "🎉 👍 ✅ :partyparrot:"),  # custom emoji stay shortcodes
    (":+1::skin-tone-3: :wave::skin-tone-6: :skin-tone-2:", "👍\U0001F3FC 👋\U0001F3FF :skin-tone-2:"),
    ("`:tada:` ```:tada:```", "`:tada:` ```:tada:```"),  # not in code
    ("at 10:30:45", "at 10:30:45"),
    ("&amp; &lt; &gt; &amp;lt;", "& < > &lt;"),
]

SLACK_TO_MARKDOWN = [
    ("*bold* _it_ ~st~", "**bold** *it* ~~st~~"),
    ("`co*de*` and ```\nx &lt; 1\n```", "`co*de*` and \n```\nx < 1\n```"),
    ("<https://x.io|the docs>", "[the docs](https://x.io)"),
    ("<https://x.io/a b|spaced>", "[spaced](<https://x.io/a b>)"),
    ("<https://x.io>", "<https://x.io>"),
    ("<@U111> in <#C1|ops> <!channel>", "@Ada Lovelace in #ops @channel"),
    ("&gt; quoted", "> quoted"),
    ("• a\n• b", "- a\n- b"),
    ("1. a\n2. b", "1. a\n2. b"),
    ("a_b_c and 2*3*4", "a\\_b\\_c and 2\\*3\\*4"),  # no emphasis inside words, as in Slack
    ("# not a heading\n- not a list\n+ nor this", "\\# not a heading\n\\- not a list\n\\+ nor this"),
    ("reply [s001] &lt;b&gt;", "reply \\[s001\\] \\<b\\>"),
    (":tada: done", "🎉 done"),
    ("&amp;copy; stays", "\\&copy; stays"),  # typed text, not an entity
]

# (the provider's text, Slack mrkdwn) --------------------------------------------------------------------

PLAIN_TO_SLACK = [
    ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
    ("<!channel> <https://evil.example|https://bank.example>",
     "&lt;!channel&gt; &lt;https://evil.example|https://bank.example&gt;"),
    ("@Ada Lovelace please, @grace.", "<@U111> please, <@U222>."),
    ("@Ada alone, @Tom & <Jerry>!", "@Ada alone, <@U444>!"),
    ("mail ana@grace.io, `@grace`, @channel, @here", "mail ana@grace.io, `@grace`, @channel, @here"),
    ("*bold* stays bold", "*bold* stays bold"),
]

MARKDOWN_TO_SLACK = [
    ("**b** *i* _i_ ~~s~~ `c*`", "*b* _i_ _i_ ~s~ `c*`"),
    ("[docs](https://x.io/a?b=1&c=2)", "<https://x.io/a?b=1&amp;c=2|docs>"),
    ("[bank.example](https://evil.example)", "bank.example (<https://evil.example>)"),  # no lying label
    ("[https://bank.example](https://evil.example)", "https://bank.example (<https://evil.example>)"),
    ("[click](javascript:alert(1))", "[click](javascript:alert(1))"),  # not a link Markdown allows
    ("[a|b](https://x.io/p|q)", "<https://x.io/p%7Cq|a|b>"),
    ("<https://x.io> <a@b.io>", "<https://x.io> <mailto:a@b.io|a@b.io>"),
    ("![logo](https://x.io/l.png)", "<https://x.io/l.png|logo>"),
    ("# Title\n\ntext", "*Title*\n\ntext"),
    ("- a\n  - b\n- c", "• a\n    ◦ b\n• c"),
    ("3. c\n4. d", "3. c\n4. d"),
    ("> q1\n> q2", "&gt; q1\n&gt; q2"),
    ("```py\nif a < b: pass\n```", "```\nif a &lt; b: pass\n```"),
    ("<b>html</b> & <!channel> <@U111>", "&lt;b&gt;html&lt;/b&gt; &amp; &lt;!channel&gt; &lt;@U111&gt;"),
    ("@Ada Lovelace, see", "<@U111>, see"),
    ("a\nb\n\nc", "a\nb\n\nc"),
    ("---", "———"),
]


def _to_provider(fmt: TextFormat) -> Callable[[str], str]:
    return lambda text: slack_to_provider(text, users=USERS, fmt=fmt)


def _to_slack(fmt: TextFormat) -> Callable[[str], str]:
    return lambda text: provider_to_slack(text, fmt=fmt, users=USERS)


TABLE = [("slack->plain", _to_provider(PLAIN), SLACK_TO_PLAIN),
         ("slack->markdown", _to_provider(MARKDOWN), SLACK_TO_MARKDOWN),
         ("plain->slack", _to_slack(PLAIN), PLAIN_TO_SLACK),
         ("markdown->slack", _to_slack(MARKDOWN), MARKDOWN_TO_SLACK)]


@pytest.mark.parametrize(("convert", "source", "expected"), [
    pytest.param(convert, source, expected, id=f"{name} {source!r}")
    for name, convert, cases in TABLE for source, expected in cases])
def test_conversion(convert: Callable[[str], str], source: str, expected: str) -> None:
    assert convert(source) == expected


def test_a_name_two_people_share_mentions_nobody() -> None:
    assert provider_to_slack("@Sam", fmt=PLAIN, users={"U1": "Sam", "U2": "Sam"}) == "@Sam"


# ------------------------------------------------------------------------------------------ round trips

WORDS = st.sampled_from(["alpha", "beta", "x1", "42", "[x]", "a-b", "x_y", "#tag", "done.", "ok,", "&amp;",
                         "&lt;", "a&gt;b", "naïve", "50%"])


@st.composite
def phrases(draw: st.DrawFn) -> str:
    return " ".join(draw(st.lists(WORDS, min_size=1, max_size=4)))


SPANS = {"bold": "*{}*", "italic": "_{}_", "strike": "~{}~", "code": "`{}`", "text": "{}",
         "link": "<https://example.com/p1|{}>"}


@st.composite
def inline(draw: st.DrawFn) -> str:
    """One inline span of canonical Slack mrkdwn."""
    kind = draw(st.sampled_from([*SPANS, "url", "mention"]))
    if kind == "url":
        return f"<https://example.com/q{draw(st.integers(0, 99))}>"
    if kind == "mention":
        return f"<@{draw(st.sampled_from(sorted(USERS)))}>"
    return SPANS[kind].format(draw(phrases()))


@st.composite
def mrkdwn_documents(draw: st.DrawFn) -> str:
    """Canonical Slack mrkdwn: paragraphs, quotes, lists and code blocks, apart by a blank line."""
    blocks = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["paragraph", "quote", "bullets", "numbers", "code"]))
        lines = draw(st.lists(st.lists(inline(), min_size=1, max_size=4).map(" ".join), min_size=1, max_size=3))
        if kind == "quote":
            blocks.append("\n".join("&gt; " + line for line in lines))
        elif kind == "bullets":
            blocks.append("\n".join("• " + line for line in lines))
        elif kind == "numbers":
            blocks.append("\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1)))
        elif kind == "code":
            code = draw(st.lists(st.sampled_from(["x = 1 &lt; 2", "  indented *not bold*", "a_b_c", "<x>"]),
                                 min_size=1, max_size=3))
            blocks.append("```\n" + "\n".join(code).replace("<x>", "&lt;x&gt;") + "\n```")
        else:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


@PROPERTY
@given(mrkdwn_documents())
@example("*bold* _it_ ~st~ `code` <https://example.com/p1|the docs> <@U444>")
@example("#tag [x] x_y\n\n• a-b\n\n1. done.")
def test_markdown_round_trip(document: str) -> None:
    """Slack -> a Markdown provider -> Slack gives back what was written."""
    markdown = slack_to_provider(document, users=USERS, fmt=MARKDOWN)
    assert provider_to_slack(markdown, fmt=MARKDOWN, users=USERS) == document


@PROPERTY
@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters=":")) | st.lists(
    st.sampled_from(["@Ada Lovelace", "@grace", "@Tom & <Jerry>", "<!channel>", "<", ">", "&", "&amp;", "`",
                     " ", "\n", "x", "@", "*"]), max_size=20).map("".join))
@example("@Tom & <Jerry> and @Ada Lovelace")
def test_plain_round_trip(text: str) -> None:
    """A plain provider's text -> Slack -> back is the same text (emoji shortcodes aside)."""
    shown = provider_to_slack(text, fmt=PLAIN, users=USERS)
    assert slack_to_provider(shown, users=USERS, fmt=PLAIN) == text


# Whatever a provider writes, Slack gets no broadcast, no channel and no mention of an unknown person, and
# a link only to http(s)/mailto whose label is not an address of its own.
TOKENS = re.compile(r"<([^<>]*)>")
HOSTILE = st.lists(st.sampled_from([
    "<!channel>", "<!here|x>", "<#C1>", "<@U999>", "[a](https://x.io)", "[b.example](https://x.io)",
    "[x](javascript:1)", "](", "[", "](https://x.io)", "<https://x.io|y>", "<", ">", "&", "&lt;", "|", "`", "```",
    "*", "_", "~", "\n", " ", "@Ada Lovelace", "@grace", "![i](https://x.io/i.png)", "<a@b.io>", "x"]),
    max_size=25).map("".join)


@PROPERTY
@given(HOSTILE | st.text())
@example("[www.bank.example](https://evil.example)")
@example("[https://a.example|https://b.example](https://evil.example)")
def test_provider_text_cannot_ping_or_forge_links(text: str) -> None:
    for fmt in (PLAIN, MARKDOWN):
        out = provider_to_slack(text, fmt=fmt, users=USERS)
        for token in TOKENS.findall(out):
            target, _, label = token.partition("|")
            if target.startswith("@"):
                assert target[1:] in USERS, (text, out)
                continue
            assert fmt == MARKDOWN, (text, out)
            assert re.match(r"(https?|mailto):", target, re.I) and not re.search(r"\s", target), (text, out)
            if label and not target.startswith("mailto:"):
                assert "://" not in label and not re.search(r"\w\.[A-Za-z]{2,}", label), (text, out)
        assert "<!" not in out and "<#" not in out


# ------------------------------------------------------------------------------------------- splitting


def test_a_short_text_is_one_part() -> None:
    assert split_mrkdwn("hello", 100) == ["hello"]


def test_a_code_block_is_closed_and_reopened_across_parts() -> None:
    code = "\n".join(f"row {n:02d} &lt;ok&gt;" for n in range(30))
    parts = split_mrkdwn(f"Here:\n```\n{code}\n```\nbye", 120)
    assert len(parts) > 2
    assert parts[0].startswith("Here:\n```\n") and parts[0].endswith("\n```")
    assert all(p.startswith("```\n") for p in parts[1:])
    assert parts[-1].endswith("```\nbye")
    assert all(p.count(FENCE) % 2 == 0 and len(p) <= 120 for p in parts)


def test_a_cut_never_splits_a_mention_link_or_entity() -> None:
    text = " ".join(["<@U111>", "<https://example.com/a-long-path|label>", "&amp;"] * 20)
    for part in split_mrkdwn(text, 60):
        assert len(part) <= 60
        assert part.count("<") == part.count(">") and not re.search(r"&(a|am|l|g)?$", part)


@PROPERTY
@given(st.lists(st.sampled_from(["```", "<@U111>", "<https://x.io|y>", "&amp;", " ", "\n", "word", "x" * 40]),
                max_size=120).map("".join), st.integers(40, 300))
def test_parts_fit_and_keep_every_character(text: str, limit: int) -> None:
    parts = split_mrkdwn(text, limit)
    assert all(len(p) <= limit for p in parts)
    squeeze = lambda s: re.sub(r"\s|```", "", s)  # noqa: E731 - cuts add fences and drop line breaks only
    assert squeeze("".join(parts)) == squeeze(text)
    balanced = text.count(FENCE) % 2 == 0
    assert all(p.count(FENCE) % 2 == 0 for p in (parts if balanced else parts[:-1]))
