"""The OAuth scopes the bridge needs, and why: `request-bridge doctor` compares them with a token's
grant, and tests/test_manifest.py ties them to manifest.yml and to the Web API methods the code calls.
"""

from __future__ import annotations

# Web API method -> bot scopes it needs (https://api.slack.com/methods). Methods needing none map to ().
# conversations.replies needs the history scope of the conversation type: public and private channels.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.delete": ("chat:write",),
    "chat.getPermalink": (),
    "chat.postEphemeral": ("chat:write",),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "conversations.replies": ("channels:history", "groups:history"),
    "usergroups.users.list": ("usergroups:read",),
    "users.info": ("users:read",),
    "views.open": (),
    "views.publish": (),
}

# Methods called with the app-level token (SLACK_APP_TOKEN, Socket Mode), not the bot token: their scopes
# belong to that token and are not part of the manifest's bot scopes.
APP_TOKEN_METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "apps.connections.open": ("connections:write",),
}

# Scopes needed for something other than a Web API call.
OTHER_SCOPES: dict[str, str] = {
    "commands": "the /request slash command and the message shortcuts",
    "chat:write.customize": "analyst posts under the analyst's name and icon (username/icon_emoji)",
    "channels:history": "message.channels events: replies in linked threads of public channels",
    "groups:history": "message.groups events: replies in linked threads of private channels",
}


def required_bot_scopes() -> frozenset[str]:
    """Every bot scope the bridge uses; manifest.yml asks for exactly these."""
    scopes = {scope for needed in METHOD_SCOPES.values() for scope in needed}
    return frozenset(scopes | set(OTHER_SCOPES))
