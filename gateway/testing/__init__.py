"""Test support shipped with the gateway: the mapping fixture runner and its pytest plugin."""
