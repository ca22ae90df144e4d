"""Block Kit posts of a provider message (bot/slack/posts.py), checked against the Slack fake's block rules."""

from __future__ import annotations

import re
from collections.abc import Mapping

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.slack.posts import (
    SECTION_TEXT_LIMIT,
    Convert,
    MessageView,
    icon_for,
    provider_message_text,
    provider_posts,
)
from bot.text.formats import TextFormat, provider_to_slack
from sandbox.slack_blocks import block_problems

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTENT = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(["```", "\n", " ", "<!channel>", "&", "word", "x" * 500, "@Ada", "*b*"]),
             max_size=60).map("".join),
)
SLACK_TOKEN = re.compile(r"<([^<>]*)>")


def view(content: str, *, author: str = "ana@cloudflare.com", role: str | None = None,
         fmt: TextFormat = TextFormat.PLAIN) -> MessageView:
    return MessageView(author=author, content=content, provider_name="Cloudforce One", request_id="r-1", role=role,
                       created="2026-11-23T10:15:00Z", text_format=fmt, users={"U111": "Ada"})


@PROPERTY
@given(content=CONTENT, author=st.text(max_size=300), role=st.none() | st.text(max_size=300),
       customized=st.booleans(), mention=st.sampled_from([None, "<@U222>"]),
       fmt=st.sampled_from(list(TextFormat)))
@example(content="", author="", role=None, customized=True, mention=None, fmt=TextFormat.PLAIN)
def test_posts_are_valid_block_kit_and_carry_everything(content: str, author: str, role: str | None,
                                                        customized: bool, mention: str | None,
                                                        fmt: TextFormat) -> None:
    shown = view(content, author=author, role=role, fmt=fmt)
    posts = provider_posts(shown, customized=customized, mention=mention)
    body = provider_to_slack(content, fmt=fmt, users=shown.users)
    sections = []
    for post in posts:
        assert block_problems(post.blocks) == []
        section = post.blocks[0]["text"]["text"]
        assert len(section) <= SECTION_TEXT_LIMIT
        sections.append(section)
        for token in SLACK_TOKEN.findall(section + post.text + post.blocks[1]["elements"][0]["text"]):
            assert not token.startswith(("!channel", "!here", "!everyone", "#")), token
        assert (post.username is not None) == customized
    if len(posts) == 1:
        assert posts[0].text.removeprefix(f"{mention} " if mention else "") == provider_message_text(
            author=author, content=content, provider_name="Cloudforce One", role=role, text_format=fmt,
            users=shown.users)
    squeeze = lambda s: re.sub(r"\s|```|_\(no text\)_", "", s)  # noqa: E731 - parts add fences, cut lines
    if customized and not mention:
        assert squeeze("".join(sections)) == squeeze(body)


def test_icons_follow_the_kind_of_author() -> None:
    assert [icon_for(r) for r in (None, "approver", "AI", "system", "Huawei engineer")] == [
        ":bust_in_silhouette:", ":bust_in_silhouette:", ":robot_face:", ":gear:", ":bust_in_silhouette:"]


def counted(calls: list[str]) -> Convert:
    """provider_to_slack, noting each content it converts."""
    def convert(content: str, *, fmt: TextFormat, users: Mapping[str, str] | None = None) -> str:
        calls.append(content)
        return provider_to_slack(content, fmt=fmt, users=users)
    return convert


def test_the_body_is_converted_once_per_message_however_many_posts() -> None:
    for content, posts_expected in (("See **the report**, @Ada.", 1), ("word " * 1500, 3)):
        for customized in (True, False):
            calls: list[str] = []
            shown = view(content, fmt=TextFormat.MARKDOWN)
            posts = provider_posts(shown, customized=customized, mention="<@U222>",
                                   convert=counted(calls))
            assert len(posts) == posts_expected
            assert calls == [content]
            assert posts == provider_posts(shown, customized=customized, mention="<@U222>")
            if posts_expected == 1:
                assert posts[0].text == "<@U222> " + provider_message_text(
                    author=shown.author, content=content, provider_name=shown.provider_name,
                    text_format=shown.text_format, users=shown.users)
