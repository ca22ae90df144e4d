"""The per-provider request budget: token-bucket arithmetic (pure) and the ledger every provider call spends from.

May import: bot.errors, bot.http, bot.store. Nothing from the bridge core or the Slack side.
"""
