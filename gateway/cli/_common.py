"""What the command modules share: exit codes, the context object, the store and log set-up, one table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from gateway.api import Engine
    from gateway.home import Home

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2
EXIT_USAGE = 2  # as click's usage errors
EXIT_WAITING = 3  # serve --once: work left waiting for a retry
EXIT_INTERNAL = 70  # EX_SOFTWARE


@dataclass
class App:
    """The context object of every command: the home, and the validation engine made when a command asks for it
    (the X12 engine's import is most of a short command's time)."""

    home: Home
    spec_dirs: list[Path] = field(default_factory=list)
    charset: str = "extended"
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from gateway.api import Engine

            self._engine = Engine(list(self.spec_dirs), self.charset)
        return self._engine


class PartnerId(click.ParamType):
    """A partner ID argument or option: refused (exit 2) unless it is one (``gateway.config.partner.partner_id_problem``),
    so that no command reads ``partners/../../x.yaml``."""

    name = "ID"

    def convert(self, value, param, ctx):
        from gateway.config.partner import partner_id_problem

        problem = partner_id_problem(value)
        if problem:
            self.fail(problem, param, ctx)
        return value


PARTNER_ID = PartnerId()


def engine_of(ctx: click.Context) -> Engine:
    return ctx.find_object(App).engine


def home_of(ctx: click.Context) -> Home:
    return ctx.find_object(App).home


def working_home(ctx: click.Context) -> Home:
    """The home of a command that writes (a store, profiles, folders): without one it stops, saying how to make one."""
    home = home_of(ctx)
    problem = home.problem()
    if problem:
        click.echo(f"gateway: {ctx.command_path.removeprefix(ctx.find_root().info_name + ' ')}: {problem}", err=True)
        ctx.exit(EXIT_USAGE)
    return home


def open_store(ctx: click.Context):
    from gateway.config.settings import load_settings
    from gateway.store import Store

    home = working_home(ctx)
    return Store.open(load_settings(home).store_url(home))


def setup_logs(fmt: str, level: str) -> None:
    from gateway.logs import setup_logging

    setup_logging(fmt, level)


def print_partner_table(status: dict) -> None:
    rows = [("partner", "files", "documents", "delivered", "quarantined", "acks sent")]
    for pid, c in status["partners"].items():
        docs = sum(v for k, v in c.items() if k not in ("files", "acks"))
        rows.append((pid, str(c.get("files", 0)), str(docs), str(c.get("delivered", 0)), str(c.get("quarantined", 0)), str(c.get("acks", 0))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(r[0].ljust(widths[0]) if i == 0 else r[i].rjust(widths[i]) for i in range(len(r))))


def quarantine_links(q: dict) -> str:
    """How an item relates to reprocessing: it follows a reprocessed one, or failed again after it was reprocessed."""
    out = f" (follows reprocessed #{q['previous_id']})" if q.get("previous_id") else ""
    if q.get("replaced_by"):
        out += " (failed again as " + ", ".join(f"#{n}" for n in q["replaced_by"]) + ")"
    return out
