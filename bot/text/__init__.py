"""Text formats of the two sides and the conversions between them: Slack mrkdwn, plain text, Markdown (pure).

May import nothing from bot/ but itself.
"""
