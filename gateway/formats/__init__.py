"""Document formats the gateway reads and writes: X12 (``x12``) and partner flat files (``flatfile``: CSV,
fixed-width, JSON, XML)."""
