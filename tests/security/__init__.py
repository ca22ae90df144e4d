"""Security tests: hostile input, secrets that must never leak, and Slack request authenticity."""
