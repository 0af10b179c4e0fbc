"""Document formats the gateway reads and writes (X12 today; flat files later)."""
