"""The message state machine through the store's named operations, on each real database."""

from __future__ import annotations

import asyncio

from bot.models import MessageState, Origin
from bot.store.database import Store
from tests.store.test_store import store_url


def test_a_slack_reply_goes_pending_sent_deleted_and_keeps_its_edits(database_url: str) -> None:
    async def scenario() -> None:
        store = await Store.open(store_url(database_url))
        link = await store.links.create(provider="p", request_id="r", channel_id="C", created_by="U", title=None,
                                        request_status=None)
        row = await store.messages.insert_slack(link_id=link.id, slack_ts="1.1", slack_user="U", content="a")
        assert (row.origin, row.state, row.attempts) == (Origin.SLACK, MessageState.PENDING, 0)
        await store.messages.begin_attempt(row)
        await store.messages.mark_sent(row.id, None)  # created; the answer named no id
        await store.messages.mark_sent(row.id, "p-1")  # the poller found it
        await store.messages.mark_edited(row.id, content="b", edited_ts="1.5")
        await store.messages.mark_edit_seen(row.id, "1.6")
        sent = await store.messages.by_provider_id(link.id, "p-1")
        assert sent is not None and (sent.state, sent.attempts, sent.content, sent.slack_edited_ts, sent.error) == (
            MessageState.SENT, 1, "b", "1.6", None)
        await store.messages.mark_deleted(row.id)
        assert (await store.messages.by_slack_ts(link.id, "1.1")).state == MessageState.DELETED  # type: ignore[union-attr]

        refused = await store.messages.insert_slack(link_id=link.id, slack_ts="2.1", slack_user="U", content="c")
        await store.messages.mark_failed(refused.id, "403")
        failed = await store.messages.by_slack_ts(link.id, "2.1")
        assert failed is not None and (failed.state, failed.error) == (MessageState.FAILED, "403")

        # A deletion that overtook its reply: the tombstone wins over the late reply.
        await store.messages.insert_tombstone(link_id=link.id, slack_ts="3.1", slack_user="U")
        late = await store.messages.insert_slack(link_id=link.id, slack_ts="3.1", slack_user="U", content="d")
        assert (late.state, late.content) == (MessageState.DELETED, "")
        await store.close()

    asyncio.run(scenario())


def test_a_provider_message_goes_posting_posted_deleted(database_url: str) -> None:
    async def scenario() -> None:
        store = await Store.open(store_url(database_url))
        link = await store.links.create(provider="p", request_id="r", channel_id="C", created_by="U", title=None,
                                        request_status=None)
        row = await store.messages.insert_provider(link_id=link.id, provider_message_id="7", content="x",
                                                   author="an", provider_created=None)
        assert (row.origin, row.state) == (Origin.PROVIDER, MessageState.POSTING)
        await store.messages.begin_attempt(row)
        await store.messages.mark_posted(row.id, "5.5")
        await store.messages.mark_updated(row.id, content="y", author="analyst")
        posted = await store.messages.by_slack_ts(link.id, "5.5")
        assert posted is not None and (posted.state, posted.attempts, posted.content, posted.author) == (
            MessageState.POSTED, 1, "y", "analyst")
        await store.messages.mark_deleted(row.id)
        assert (await store.messages.by_provider_id(link.id, "7")).state == MessageState.DELETED  # type: ignore[union-attr]
        await store.messages.insert_duplicate(link_id=link.id, provider_message_id="8")
        copy = await store.messages.by_provider_id(link.id, "8")
        assert copy is not None and (copy.origin, copy.state) == (Origin.SLACK, MessageState.DUPLICATE)
        await store.close()

    asyncio.run(scenario())
