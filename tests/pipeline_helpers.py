"""Running the pipeline in this process over a real home, with the memory connector registered as ``erp``."""

from __future__ import annotations

from gateway.channels.drop_folder import write_outbound
from gateway.connectors import default_registry
from gateway.connectors.memory import MemoryTarget, memory_connector_type
from gateway.pipeline import Gateway


def run(home, erp: MemoryTarget) -> Gateway:
    """``serve --once`` over ``home``: a route naming ``erp`` delivers into ``erp``."""
    registry = default_registry(plugins=False)
    registry.add(memory_connector_type("erp", erp))
    gw = Gateway(home, environ={}, registry=registry)
    gw.serve(once=True)
    return gw


def drop(home, partner: str, name: str, data: bytes) -> None:
    """A file into the partner's drop folder, written then renamed in as partners should."""
    write_outbound(home.inbound_dir(partner), name, data)


# No backoff, three attempts, a quick idle loop: what the in-process pipeline tests run with.
SETTINGS = "retry: {base_seconds: 0, cap_seconds: 0, max_attempts: 3}\nworkers: {poll_seconds: 0.05}\n"
SAMPLES_RECEIVER = "identity: {isa_qualifier: ZZ, isa_id: WIDGETCO}\n"  # who the sample partners' files are addressed to
