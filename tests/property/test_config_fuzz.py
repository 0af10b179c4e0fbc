"""Fuzz: mutated partner profiles, mapping specs and gateway.yaml files give ConfigError (file:line problems), never another exception.

Each example starts from a shipped document (the sample profiles, every shipped spec, the gateway.yaml
``init`` writes) and either changes its data (a value replaced by one of another type, a key removed or
added, a value wrapped in a list), then writes it back as YAML, or changes its text (characters
inserted, removed or replaced: YAML syntax, control characters, bytes that are not UTF-8). Then what
``partner check`` and ``serve``'s pre-flight run on it runs: loading, the checks, the spec lint, the
mapper compilation, the settings' connectors. A ``TypeError`` from a list where a name was expected
(``extends: [a, b]`` exited 70) is the kind of failure this looks for.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from helpers import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.config.partner import Partners
from gateway.config.settings import OwnIdentity, connector_registry, identity_problems, read_settings, settings_file
from gateway.config.yamlio import dump_yaml, parse_yaml
from gateway.errors import ConfigError
from gateway.formats.x12 import SpecLibrary as X12Library
from gateway.formats.x12 import bundled_dirs
from gateway.home import Home
from gateway.mapping.engine import InboundMapper, OutboundMapper, Tables
from gateway.mapping.lint import lint_spec
from gateway.mapping.spec import SpecLibrary
from gateway.onboarding import check_partner
from gateway.preflight import not_served

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
X12 = X12Library(bundled_dirs())
PROFILES = sorted((ROOT / "partners").glob("*.yaml"))
SPECS = sorted((ROOT / "mappings").rglob("*.yaml"))
GATEWAY_YAML = settings_file(OwnIdentity(isa_qualifier="ZZ", isa_id="OURCO")) + "allowed_roots: [/srv/edi]\n"

SCALARS = st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False) | st.text(max_size=6) | st.sampled_from(
    ["850", "004010", "default/850-004010-in", "../../etc/passwd", "/etc", "", "${NOT_SET}", "erp", "folder", "BEG03", "each"])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6) | st.sampled_from(
    ["path", "fields", "segments", "extends", "source", "layout", "options", "type", "each", "table"]), inner, max_size=3), max_leaves=6)
NOISE = st.sampled_from(list(":-[]{}&*!|>'\"#%@`?,~ \n\t") + ["\x00", "\x07", "\u2028", "&a", "*a", "<<: ", "!!binary ", "\ufeff"])


def locations(node, at=()):
    yield at
    if isinstance(node, dict):
        for key, value in node.items():
            yield from locations(value, at + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from locations(value, at + (i,))


@st.composite
def mutated(draw, text: str) -> bytes:
    """``text`` with its data or its characters changed."""
    if draw(st.booleans()):
        chars = list(text)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(chars)))
            op = draw(st.sampled_from(["insert", "delete", "replace"]))
            if op == "insert" or not chars[i:]:
                chars.insert(i, draw(NOISE))
            elif op == "delete":
                del chars[i]
            else:
                chars[i] = draw(NOISE)
        out = "".join(chars).encode("utf-8")
        return out.replace(b"\x07", b"\xff") if draw(st.booleans()) else out  # sometimes a byte that is not UTF-8
    data = parse_yaml(text, "base.yaml").data
    for _ in range(draw(st.integers(1, 3))):
        if isinstance(data, dict) and draw(st.integers(0, 3)) == 0:  # a key at the top, where the loaders look first
            data[draw(st.sampled_from(sorted(data) + ["extends", "segments", "fields", "source", "documents", "connectors"]))] = draw(VALUES)
            continue
        at = draw(st.sampled_from(list(locations(data))))
        if not at:
            data = draw(VALUES) if draw(st.integers(0, 9)) == 0 else data
            continue
        parent = data
        for key in at[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["replace", "replace", "delete", "add", "wrap"]))
        if op == "replace":
            parent[at[-1]] = draw(VALUES)
        elif op == "delete" and isinstance(parent, dict):
            del parent[at[-1]]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extends", "fields", "segments", "options", "zz", "inbound", "xref_files"]))] = draw(VALUES)
        else:
            parent[at[-1]] = [parent[at[-1]]]
    return dump_yaml(data).encode("utf-8")


def only_config_errors(run) -> None:
    try:
        run()
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)


@pytest.mark.parametrize("base", PROFILES, ids=[p.stem for p in PROFILES])
@SETTINGS
@given(data=st.data())
def test_mutated_profile_gives_config_errors_only(base, data):
    content = data.draw(mutated(base.read_text(encoding="utf-8")))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "partners", root / "partners")
        (root / "gateway.yaml").write_text(GATEWAY_YAML)
        (root / "partners" / base.name).write_bytes(content)
        home = Home(root, True, ROOT)

        def run():
            check_partner(home, base.stem)
            not_served(Partners(home))
            partners = Partners(home)
            partners.xref(partners.load(base.stem))

        only_config_errors(run)


@SETTINGS
@given(data=st.data())
def test_mutated_mapping_spec_gives_config_errors_only(data):
    base = data.draw(st.sampled_from(SPECS))
    name = base.relative_to(ROOT / "mappings").with_suffix("").as_posix()
    content = data.draw(mutated(base.read_text(encoding="utf-8")))
    with tempfile.TemporaryDirectory() as tmp:
        mine = Path(tmp) / "mappings"
        (mine / name).parent.mkdir(parents=True)
        (mine / f"{name}.yaml").write_bytes(content)
        library = SpecLibrary([mine, ROOT / "mappings"])

        def run():
            spec = library.get(name)
            lint_spec(library, name, X12)
            mapper = InboundMapper if spec.direction == "inbound" else OutboundMapper
            mapper(spec, Tables(spec.tables))

        only_config_errors(run)


@SETTINGS
@given(data=st.data())
def test_mutated_gateway_yaml_gives_config_errors_only(data):
    content = data.draw(mutated(GATEWAY_YAML))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "gateway.yaml").write_bytes(content)
        home = Home(Path(tmp), True, None)

        def run():
            settings_, source = read_settings(home)
            identity_problems(home, settings_, source)
            connector_registry(settings_, source)
            Partners(home).confinement.roots()

        only_config_errors(run)
