"""B2B/EDI partner gateway and translation engine."""

__version__ = "0.1.0"
