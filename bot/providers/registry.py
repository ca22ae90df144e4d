"""The one place providers are registered: the built-in plug-ins, and `register` for more (tests add one).

Adding a provider: write its package under bot/providers/ exporting a `ProviderPlugin`, and add it to
BUILT_IN below. Nothing else names it.
"""

from __future__ import annotations

from bot.providers import cloudforce_one, huawei, jitsudo
from bot.providers.plugin import ProviderPlugin

BUILT_IN: tuple[ProviderPlugin, ...] = (cloudforce_one.PLUGIN, huawei.PLUGIN, jitsudo.PLUGIN)

_plugins: dict[str, ProviderPlugin] = {plugin.name: plugin for plugin in BUILT_IN}


def plugins() -> tuple[ProviderPlugin, ...]:
    """Every registered provider plug-in, built-in ones first."""
    return tuple(_plugins.values())


def plugin(name: str) -> ProviderPlugin | None:
    return _plugins.get(name)


def register(new: ProviderPlugin) -> None:
    """Add a plug-in (by its name; a second one of the same name replaces the first)."""
    _plugins[new.name] = new


def unregister(name: str) -> None:
    _plugins.pop(name, None)
