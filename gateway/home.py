"""The gateway's work directory ("home"): where configuration, partners, mappings, store and folders live.

``gateway --home DIR`` (or ``GATEWAY_HOME=DIR``) selects it. Without either,
the home is this repository's own layout (``partners/`` and ``mappings/`` next
to ``cli.py``), or the current directory when the gateway does not run from a
checkout. Layout of a home::

    DIR/
      gateway.yaml          settings (later work)
      partners/<id>.yaml    partner profiles
      mappings/<owner>/     mapping specs; the repository's mappings/ (the default
                            specs) are searched after the home's own
      inbound/<id>/         drop folders: files from the partner ...
      outbound/<id>/        ... and to the partner
      store/                message store (later work)

Relative paths inside partner profiles (drop folders, certificates, cross-reference
files) are resolved against the home's root.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "GATEWAY_HOME"
REPO_ROOT = Path(__file__).resolve().parents[1]


def _is_checkout(path: Path) -> bool:
    return (path / "cli.py").is_file() and (path / "gateway").is_dir()


@dataclass(frozen=True, slots=True)
class Home:
    """A work directory. ``explicit`` is true when the user chose it (``--home``/``GATEWAY_HOME``)."""

    root: Path
    explicit: bool = False
    repo_root: Path | None = REPO_ROOT  # where the bundled default mapping specs are, if anywhere

    @classmethod
    def locate(cls, given: str | os.PathLike | None = None, *, environ: Mapping[str, str] | None = None,
               cwd: Path | None = None, repo_root: Path | None = REPO_ROOT) -> Home:
        """``given`` (``--home``), else ``$GATEWAY_HOME``, else the repository checkout, else the current directory."""
        env = os.environ if environ is None else environ
        repo = repo_root if repo_root is not None and _is_checkout(repo_root) else None
        chosen = given if given not in (None, "") else env.get(ENV_VAR) or None
        if chosen is not None:
            return cls(Path(chosen).expanduser().absolute(), True, repo)
        if repo is not None:
            return cls(repo, False, repo)
        return cls((cwd or Path.cwd()).absolute(), False, None)

    # -- layout ----------------------------------------------------------------------------------

    @property
    def partners_dir(self) -> Path:
        return self.root / "partners"

    @property
    def mappings_dir(self) -> Path:
        return self.root / "mappings"

    @property
    def config_file(self) -> Path:
        return self.root / "gateway.yaml"

    @property
    def store_dir(self) -> Path:
        return self.root / "store"

    def inbound_dir(self, partner_id: str) -> Path:
        return self.root / "inbound" / partner_id

    def outbound_dir(self, partner_id: str) -> Path:
        return self.root / "outbound" / partner_id

    def mapping_roots(self) -> list[Path]:
        """Where mapping specs are looked up, first match wins: the home's, then the repository's defaults."""
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
