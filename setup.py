"""Build step: the wheel carries the repository's shipped data in ``gateway/_data/`` (see ``gateway/data.py``).

The repository keeps its layout (``mappings/``, ``canonical/``, ``partners/``, ``samples/partners/`` at the
top); an editable install reads them in place, so only a real build copies them.
"""

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from gateway.data import SHIPPED  # noqa: E402  (the one list of what ships, shared with the code that finds it)


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "gateway" / "_data"
        for name in SHIPPED:
            destination = target / name
            if destination.exists():
                shutil.rmtree(destination)
            shutil.copytree(ROOT / name, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": BuildWithData})
