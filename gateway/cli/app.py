"""The ``gateway`` group: global options, the command modules, and the entry point that hides tracebacks.

A command's module is imported only when that command runs (``gateway validate`` never loads the store,
the mapping engine or jsonschema): start-up is most of a short command's time.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click

from gateway import __version__
from gateway.cli._common import EXIT_INTERNAL, EXIT_REJECTED, EXIT_USAGE, App
from gateway.errors import INVALID_REQUEST, ConfigError, GatewayError
from gateway.home import ENV_VAR as HOME_ENV
from gateway.home import Home


HELP = ("-h", "--help")
MAKE_THEIR_HOME = ("init", "demo")  # the commands that take a --home that is not (yet) a home


# command name -> (module under gateway.cli, the click command in it)
COMMANDS = {
    "ack": ("validate", "ack"),
    "demo": ("demo", "demo"),
    "init": ("demo", "init"),
    "mapping": ("mapping", "mapping"),
    "partner": ("partner", "partner"),
    "quarantine": ("quarantine", "quarantine"),
    "serve": ("serve", "serve"),
    "status": ("status", "status"),
    "trace": ("status", "trace"),
    "translate": ("translate", "translate"),
    "validate": ("validate", "validate"),
}


class GatewayGroup(click.Group):
    """The command groups, each loaded from its module when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name]
        return getattr(importlib.import_module(f"gateway.cli.{module}"), attribute)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta["gateway.asks_for_help"] = any(a in HELP for a in rest)
        return name, command, rest


@click.group(cls=GatewayGroup, context_settings={"help_option_names": list(HELP)})
@click.version_option(__version__, prog_name="gateway")
@click.option("--home", "home_dir", envvar=HOME_ENV, metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help=f"Work directory (a home: gateway.yaml, partners, mappings, store and folders; made by gateway init) "
                   f"[env: {HOME_ENV}; default: the current directory if it is a home, else read-only use of the shipped "
                   "sample partners and default specs].")
@click.option("--spec-dir", "spec_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Extra pyx12-format spec directory (repeatable).")
@click.option("--charset", type=click.Choice(["extended", "any"]), default="extended", show_default=True,
              help="Characters allowed in AN/ID data: the X12 extended set, or anything but control characters.")
@click.pass_context
def main(ctx: click.Context, home_dir: Path | None, spec_dirs: tuple[Path, ...], charset: str) -> None:
    """B2B/EDI partner gateway: validate, acknowledge and translate X12."""
    home = Home.locate(home_dir)
    if home.explicit and ctx.invoked_subcommand not in MAKE_THEIR_HOME and not ctx.meta.get("gateway.asks_for_help"):
        problem = home.problem()  # a --home that is not a home is a mistake, whatever the command
        if problem:
            click.echo(f"gateway: {problem}", err=True)
            ctx.exit(EXIT_USAGE)
    ctx.obj = App(home, list(spec_dirs), charset)


def run() -> None:
    """Console entry point: users see one line, never a traceback (GATEWAY_DEBUG=1 shows it)."""
    try:
        main(standalone_mode=True)
    except ConfigError as exc:  # one line per problem
        for line in exc.problems:
            click.echo(f"gateway: {line}", err=True)
        sys.exit(EXIT_USAGE if exc.code == INVALID_REQUEST else EXIT_REJECTED)  # a bad partner ID is a usage error
    except GatewayError as exc:
        click.echo(f"gateway: {exc}", err=True)
        sys.exit(EXIT_REJECTED)
    except Exception as exc:  # a bug of ours: say so in one line
        if os.environ.get("GATEWAY_DEBUG"):
            raise
        click.echo(f"gateway: internal error, please report it: {type(exc).__name__}: {exc} (set GATEWAY_DEBUG=1 for details)", err=True)
        sys.exit(EXIT_INTERNAL)
