"""The durable pipeline: receive → identify → validate → acknowledge → map → check → route → deliver.

``stages.py`` decides, ``worker.py`` persists and acts, ``service.py`` runs channels and workers.
"""

from .service import Gateway, Summary
from .worker import Worker

__all__ = ["Gateway", "Summary", "Worker"]
