"""Where the data shipped with the gateway is: default mapping specs, canonical JSON Schemas, the partner
schema and the demo's sample partners.

In a checkout they are at the repository root (``mappings/``, ``canonical/``, ``partners/``,
``samples/partners/``); a wheel carries a copy of them with the same layout in ``gateway/_data/``
(made by the build step in ``setup.py``). Code finds them through ``DATA_ROOT`` only, so that both work.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
BUNDLED = PACKAGE / "_data"  # only in a built distribution
SHIPPED = ("mappings", "canonical", "partners", "samples/partners")  # what setup.py copies into BUNDLED


def data_root() -> Path:
    """The folder holding the shipped ``mappings/``, ``canonical/``, ``partners/`` and ``samples/partners/``."""
    return BUNDLED if BUNDLED.is_dir() else PACKAGE.parent


DATA_ROOT = data_root()
