"""The gateway's work directory ("home"): where configuration, partners, mappings, store and folders live.

A home is a directory holding ``gateway.yaml`` (``gateway init DIR`` makes one). It is found as:

1. ``gateway --home DIR`` or ``GATEWAY_HOME=DIR``: DIR must be a home (every command but
   ``init`` and ``demo`` refuses one that is not; nothing creates a home or a store silently);
2. else the current directory, when it holds ``gateway.yaml``;
3. else the gateway's shipped layout (``DATA_ROOT``: the repository checkout, or in an installed
   gateway its copy in ``gateway/_data/``), whose ``partners/`` (the sample partners) and
   ``mappings/`` reading commands use. It is not a home unless it holds ``gateway.yaml``:
   commands that write (a store, a profile, a drop folder) refuse it and say how to make one.

Layout of a home::

    DIR/
      gateway.yaml          settings
      partners/<id>.yaml    partner profiles
      mappings/<owner>/     mapping specs; the shipped mappings/ (the default
                            specs) are searched after the home's own
      inbound/<id>/         drop folders: files from the partner ...
      outbound/<id>/        ... and to the partner
      store/                message store (SQLite unless gateway.yaml names another)

Relative paths inside partner profiles (drop folders, certificates, cross-reference
files) are resolved against the home's root.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .data import DATA_ROOT

ENV_VAR = "GATEWAY_HOME"
CONFIG_NAME = "gateway.yaml"


@dataclass(frozen=True, slots=True)
class Home:
    """A work directory. ``explicit`` is true when the user chose it (``--home``/``GATEWAY_HOME``)."""

    root: Path
    explicit: bool = False
    repo_root: Path | None = DATA_ROOT  # where the shipped default mapping specs are (the checkout, or gateway/_data)

    @classmethod
    def locate(cls, given: str | os.PathLike | None = None, *, environ: Mapping[str, str] | None = None,
               cwd: Path | None = None, repo_root: Path | None = DATA_ROOT) -> Home:
        """``given`` (``--home``), else ``$GATEWAY_HOME``, else the current directory if it is a home, else the shipped layout."""
        env = os.environ if environ is None else environ
        chosen = given if given not in (None, "") else env.get(ENV_VAR) or None
        if chosen is not None:
            return cls(Path(chosen).expanduser().absolute(), True, repo_root)
        here = (cwd or Path.cwd()).absolute()
        if (here / CONFIG_NAME).is_file() or repo_root is None:
            return cls(here, False, repo_root)
        return cls(repo_root, False, repo_root)

    @property
    def is_home(self) -> bool:
        """True when this directory is a home (it holds ``gateway.yaml``): something may be written here."""
        return self.config_file.is_file()

    # -- layout ----------------------------------------------------------------------------------

    @property
    def partners_dir(self) -> Path:
        return self.root / "partners"

    @property
    def mappings_dir(self) -> Path:
        return self.root / "mappings"

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def store_dir(self) -> Path:
        return self.root / "store"

    def inbound_dir(self, partner_id: str) -> Path:
        return self.root / "inbound" / partner_id

    def outbound_dir(self, partner_id: str) -> Path:
        return self.root / "outbound" / partner_id

    def mapping_roots(self) -> list[Path]:
        """Where mapping specs are looked up, first match wins: the home's, then the shipped ones (the defaults)."""
        roots = [self.mappings_dir]
        if self.repo_root is not None:
            bundled = self.repo_root / "mappings"
            if bundled.resolve() != self.mappings_dir.resolve():
                roots.append(bundled)
        return roots

    def resolve(self, path: str | os.PathLike) -> Path:
        """A path from a profile: absolute as is, relative to the home's root otherwise."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.root / p

    def display(self, path: Path) -> str:
        """``path`` for messages: relative to the current directory when it is below it."""
        try:
            return str(Path(path).absolute().relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def check_usable(self) -> str | None:
        """Why this home cannot be used, or None."""
        if self.root.exists() and not self.root.is_dir():
            return f"home {self.root} is not a directory"
        return None

    def problem(self) -> str | None:
        """Why a command cannot work in this home (write profiles, folders or a store), with what to do; None when it can."""
        unusable = self.check_usable()
        if unusable:
            return unusable
        if self.is_home:
            return None
        if self.explicit:
            why = "does not exist" if not self.root.exists() else f"has no {CONFIG_NAME}"
            return f"{self.root} is not a gateway home ({why}): create one with: gateway init {self.root}"
        return "not in a gateway home: give --home DIR (or GATEWAY_HOME=DIR), or run in one; create one with: gateway init DIR"
