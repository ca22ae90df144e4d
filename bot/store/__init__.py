"""The mapping store: schema, numbered migrations, and one module per table with named operations.

May import: bot.errors, bot.models, bot.budget.bucket (pure arithmetic). Nothing above it.
"""
