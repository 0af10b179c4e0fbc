"""Running the pipeline in this process over a real home, with the memory connector registered as ``erp``."""

from __future__ import annotations

from pathlib import Path

from helpers import ROOT

from gateway.channels.drop_folder import write_outbound
from gateway.config.yamlio import dump_yaml, parse_yaml
from gateway.connectors import default_registry
from gateway.connectors.memory import MemoryTarget, memory_connector_type
from gateway.home import Home
from gateway.pipeline import Gateway
from gateway.workdir import demo_home


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


def pipeline_home(root: Path, settings: str = SETTINGS) -> Home:
    """The demo home (the sample partners) with gateway.yaml = our identity (the samples' receiver) + ``settings``
    and no named connectors: the tests register a connector type ``erp`` (the memory ERP), so the demo's routes
    to the named ``erp`` folder connector become routes to the ``folder`` type."""
    home = demo_home(root, ROOT)
    (home.root / "gateway.yaml").write_text(SAMPLES_RECEIVER + settings)
    for path in home.partners_dir.glob("*.yaml"):
        data = parse_yaml(path.read_text(), path.name).data
        data["routes"] = [{**r, "connector": "folder"} if r["connector"] == "erp" else r for r in data.get("routes") or []]
        path.write_text(dump_yaml(data))
    return home
