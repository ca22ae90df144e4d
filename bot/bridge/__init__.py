"""The bridge core: moves messages both ways between a linked Slack thread and its request.

Holds the durable Slack inbox, Slack -> provider (outbound), provider -> Slack (poller, mirror; when to poll:
schedule, poll_costs, hints), catch-up after downtime, linking, forwarding, `/request new`, notifications and
the App Home publisher, with the leases and per-link locks that keep replicas and events from interleaving.

May import: bot.errors, bot.models, bot.settings, bot.metrics, bot.http, bot.text, bot.slack, bot.store,
bot.budget, bot.providers (the interface in bot.providers.base only). Never handlers/ or the entry points.
"""
