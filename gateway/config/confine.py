"""Where the files and folders configuration names may be: inside the home, or under a root gateway.yaml allows.

Profiles name folders the gateway reads, moves and writes files in (a drop folder's inbound, outbound
and archive) and files it reads (cross-reference CSVs, certificates, keys); routes name the folder a
``folder`` connector writes to and the CA file of an ``http`` one. A profile pointing its drop folder at
``/etc`` would have ``serve`` move every file there into its archive and store. So each such path is
resolved as the gateway would use it (relative to the home, ``~`` expanded, then symlinks and ``..``
followed) and must lie inside the home, or inside one of the ``allowed_roots`` of gateway.yaml (each
resolved the same way)::

    allowed_roots: [/srv/edi/drop, /mnt/erp/import]

``gateway partner check`` reports a path outside at its ``file:line``; ``gateway serve`` does not serve
that partner (see ``gateway.preflight``) and connectors refuse to be built with such a path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..home import Home


# The home's own folders, which no drop folder or delivery folder may be, hold or lie in: name -> what they hold.
RESERVED = {"partners": "partner profiles", "mappings": "mapping specs", "store": "message store"}


@dataclass(frozen=True, slots=True)
class Confinement:
    """The home and the roots beyond it (``allowed_roots`` as written in gateway.yaml) that configured paths may use."""

    home: Home
    allowed_roots: tuple[str, ...] = ()

    @classmethod
    def of(cls, home: Home, allowed_roots: Iterable[str] = ()) -> Confinement:
        return cls(home, tuple(allowed_roots))

    def roots(self) -> list[Path]:
        """The home and the allowed roots, resolved (symlinks followed)."""
        return [_real(self.home.root), *(_real(Path(r).expanduser()) for r in self.allowed_roots)]

    def resolve(self, value: str | os.PathLike) -> Path:
        """``value`` as the gateway uses it: relative to the home, ``~`` expanded, symlinks and ``..`` followed."""
        return _real(self.home.resolve(value))

    def problem(self, value: str, what: str) -> str | None:
        """Why ``value`` (named by ``what``, e.g. ``drop_folder inbound``) may not be used, or None."""
        if not str(value).strip():
            return f"{what} is empty: name a folder or file (relative to the home)"  # not the home itself
        real = self.resolve(value)
        if any(real == root or root in real.parents for root in self.roots()):
            return None
        shown = repr(value) if str(real) == value else f"{value!r} ({real})"
        allowed = f" and the allowed_roots of gateway.yaml ({', '.join(self.allowed_roots)})" if self.allowed_roots else ""
        return (f"{what} {shown} is outside the home ({_real(self.home.root)}){allowed}; the gateway uses no folder or file "
                "elsewhere: to use this one, add its folder to allowed_roots in gateway.yaml")

    def folder_problem(self, value: str, what: str) -> str | None:
        """``problem``, and for a folder the gateway moves or writes files in (a drop folder, a folder connector's
        path): why it may not be, hold or lie inside the home's own partners/, mappings/ or store/ (a drop folder
        there would take profiles or the database for partner files), or None."""
        problem = self.problem(value, what)
        if problem:
            return problem
        real = self.resolve(value)
        for name in RESERVED:
            own = _real(self.home.root / name)
            if real == own or own in real.parents or real in own.parents:
                return (f"{what} {value!r} ({real}) overlaps the home's own {name}/ folder: the gateway would move or "
                        f"write files among its {RESERVED[name]}; choose a folder of its own")
        return None

    def check(self, value: str, what: str, *, folder: bool = False) -> Path:
        """``value`` resolved; ``ConfigError`` when it lies outside the home and the allowed roots (``folder``: or
        overlaps the home's own folders, see ``folder_problem``)."""
        problem = self.folder_problem(value, what) if folder else self.problem(value, what)
        if problem:
            raise ConfigError([problem])
        return self.resolve(value)


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def home_confinement(home: Home, environ: Mapping[str, str] | None = None) -> Confinement:
    """The home's confinement: its gateway.yaml's ``allowed_roots``; only the home when gateway.yaml does not load
    (``gateway partner check`` and ``serve`` say why)."""
    from .settings import read_settings

    try:
        settings = read_settings(home, environ)[0]
    except ConfigError:
        return Confinement(home)
    return Confinement.of(home, settings.allowed_roots)
