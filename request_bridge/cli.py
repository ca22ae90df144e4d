"""`request-bridge`: the command line. Settings come from the environment and a `.env` file."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.engine import make_url

from bot import __version__
from bot.errors import ConfigError
from bot.logs import Redactor, configure
from bot.providers import registry
from bot.settings import load_settings

ENVIRONMENT = """\
environment (also read from ./.env):
  SLACK_BOT_TOKEN          bot token, xoxb-...                                  (required)
  SLACK_SIGNING_SECRET     signing secret, for HTTP mode                        (required in HTTP mode)
  SLACK_APP_TOKEN          app-level token xapp-...; when set, runs in Socket Mode
  SLACK_API_URL            Web API base URL                    [https://slack.com/api/]
  DATABASE_URL             store: sqlite:///file.db or postgresql://user:pw@host/db [sqlite:///request-bridge.db]
  PORT / HOST              HTTP listen address                 [3000 / 0.0.0.0]
  POLL_INTERVAL_SECONDS    how often a busy linked request is polled            [5]
  MAX_POLL_INTERVAL_SECONDS  the longest a quiet request waits between polls, budget allowing [900]
  CHANGE_HINT_SECONDS      how often the list of recently changed requests is read (0: never) [5]
  RECONCILE_EVERY_POLLS    every Nth poll re-reads a whole conversation for edits/deletions [10]
  RETRY_INTERVAL_SECONDS   first retry delay of an undelivered Slack reply (doubles) [15]
  MAX_RETRY_INTERVAL_SECONDS  longest wait between two attempts               [3600]
  ORDER_WINDOW_SECONDS     delay before applying a Slack event, so late deliveries keep order [1]
  LEASE_SECONDS / REPLICA_ID  replicas: a link's hold lasts this [60] / this replica's name [host:PORT]
  HEARTBEAT_SECONDS        a replica's heartbeat; silent for three, its links move at once [2]
  MAX_ATTEMPTS             attempts before a reply is reported as failed        [24]
  HTTP_TIMEOUT_SECONDS     timeout of each outbound call                        [10]
  SLACK_REPLIES_PER_MINUTE conversations.replies budget (catch-up, read-backs); 1 for non-Marketplace apps [40]
  CATCH_UP_SWEEP_SECONDS / CATCH_UP_RECENT_SECONDS  read back threads active within the last [3600] s
                           every [600] s, while running (0: never)
  ALLOWED_CHANNEL_IDS, ALLOWED_USER_IDS, ALLOWED_USERGROUP_IDS, ADMIN_USER_IDS  who may link/unlink
  RELAY_FROM               whose messages go to requests: everyone | allowed (the allowlists) [everyone]
  EDIT_FOLLOW_UP           send edits as "(edited)" messages where a provider cannot edit [false]
  NAME_FILE                read any secret NAME (tokens, keys, signing secret) from a file
  LOG_LEVEL / LOG_FORMAT   DEBUG|INFO|WARNING|ERROR / text|json                 [INFO / text]
"""


def environment_help() -> str:
    """Every setting: the core's, then each registered provider's (at least one provider is required)."""
    return "\n".join([ENVIRONMENT.rstrip("\n"), "providers (at least one is required):",
                      *(plugin.env_help for plugin in registry.plugins())]) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="request-bridge",
        description="Bridges Slack threads to request conversations on "
                    + ", ".join(plugin.summary for plugin in registry.plugins()) + ".",
        epilog=environment_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"request-bridge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "serve", help="run the bot (HTTP mode on PORT, or Socket Mode when SLACK_APP_TOKEN is set)",
        description="Run the bot: Slack events, commands and interactivity at POST /slack/events, "
                    "GET /healthz for health checks, and a poller for every linked request.",
        epilog=environment_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    commands.add_parser(
        "migrate", help="create or upgrade the database at DATABASE_URL, then exit",
        description="Create or upgrade the store's schema (serve does this too on start).")
    doctor = commands.add_parser(
        "doctor", help="check the settings, Slack token and scopes, provider credentials and database",
        description="Check every setting, the Slack token (auth.test, and the scopes Slack says it was granted "
                    "versus the ones the bridge needs), each configured provider's credentials with one cheap "
                    "read, and the database (reachable, schema version). Prints a checklist with what to fix; "
                    "exits 0 when all is well, 1 otherwise. Changes nothing (unless --write-test).",
        epilog=environment_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    doctor.add_argument("--live", action="store_true",
                        help="also check, on the real accounts, what the bridge assumes about each provider's API "
                             "(page base, ignored parameters, time format and zone, cursor, optional routes)")
    doctor.add_argument("--request", action="append", default=[], metavar="PROVIDER=ID",
                        help="the request to look at with --live, per provider (e.g. huawei=CS2026010112345678); "
                             "repeat for each provider")
    doctor.add_argument("--write-test", action="store_true",
                        help="with --live: create one marked message on each named request and delete or withdraw "
                             "it where the provider allows (JITSudo: skipped, it has no delete)")
    commands.add_parser(
        "demo", help="see the bridge work in a few seconds, against built-in simulators (no accounts needed)",
        description="Run the whole bridge against built-in local simulators of Slack and Cloudforce One: no "
                    "accounts, no settings, a throw-away SQLite store in a temporary directory. A scripted "
                    "conversation runs both ways (Alice links a request with /request link, Alice and Bob "
                    "reply in the thread, Alice edits her reply, the analyst answers on Cloudforce One and the "
                    "next poll brings it back), then the Slack thread and the Cloudforce One request are "
                    "printed side by side. Takes a few seconds; nothing leaves this machine.")
    return parser


async def _migrate(url: str) -> None:
    from bot.store.startup import open_store

    store = await open_store(url)
    await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "doctor":  # reports bad settings itself, as lines of its checklist
        from bot.ops.doctor import main as doctor
        from bot.ops.live import parse_requests

        if (args.request or args.write_test) and not args.live:
            parser.error("--request and --write-test go with --live")
        try:
            requests = parse_requests(args.request)
        except ValueError as exc:
            parser.error(str(exc))
        return doctor(live=requests if args.live else None, write_test=args.write_test)
    if args.command == "demo":  # needs no settings: it brings its own simulators
        from request_bridge.demo import run as demo

        return demo()
    secrets: list[str] = []
    try:
        settings = load_settings(for_serve=args.command == "serve")
        secrets = settings.secrets()
        configure(level=settings.log_level, fmt=settings.log_format, secrets=secrets)
        if args.command == "migrate":
            asyncio.run(_migrate(settings.sqlalchemy_url))
            # The URL without its password, and masked besides (every encoding of every secret).
            shown = make_url(settings.database_url).render_as_string(hide_password=True)
            print(Redactor(secrets).mask(f"database ready: {shown}"))
            return 0
        from request_bridge.server import serve

        asyncio.run(serve(settings))
        return 0
    except ConfigError as exc:
        print(Redactor(secrets).mask(f"request-bridge: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # the port is taken, say: one line, printed once
        print(Redactor(secrets).mask(f"request-bridge: cannot start: {exc}"), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
