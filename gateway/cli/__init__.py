"""The ``gateway`` command: a thin click tree over ``gateway.api``, one module per command group.

``main`` is the click group (assembled in ``app``); ``run`` is the console entry point.
"""

from gateway.cli.app import main, run

__all__ = ["main", "run"]
