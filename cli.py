"""The ``gateway`` command's top-level entry point (``python cli.py ...`` from a checkout).

The commands live in ``gateway/cli/``, one module per command group; the installed console
script calls ``gateway.cli:run`` directly.
"""

from gateway.cli import main, run

__all__ = ["main", "run"]

if __name__ == "__main__":
    run()
