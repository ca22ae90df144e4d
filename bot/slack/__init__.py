"""The Slack side: Web API gateway, event parsing, how posts, modals and the Home tab look, the slash command.

Pure builders and parsers plus one gateway (the only module here that does I/O). Knows nothing of which provider
is on the other side. May import: bot.errors, bot.logs (the Redactor), bot.models, bot.text,
bot.providers.base (records only).
"""
