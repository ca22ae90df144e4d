"""The operator's tools inside the bot: `doctor`, the readiness check and the metrics gauges read at scrape time.

May import anything under bot/ (they sit just below the entry points); never handlers/ or request_bridge/.
"""
