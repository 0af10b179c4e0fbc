"""``python -m gateway.cli``: what ``serve --workers N`` starts for its extra workers."""

from gateway.cli import run

run()
