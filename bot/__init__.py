"""Request Bridge: links Slack threads to request conversations on outside systems."""

__version__ = "0.1.0"
