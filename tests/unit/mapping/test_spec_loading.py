"""Loading mapping specs: every problem, wrong types included, is a ``file:line`` ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ROOT

from gateway.errors import ConfigError
from gateway.mapping.spec import MAX_EXTENDS, SpecLibrary


def spec_problems(tmp_path: Path, text: str | bytes, name: str = "acme/850-004010-in") -> list[str]:
    path = tmp_path / "mappings" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ConfigError) as err:
        SpecLibrary([tmp_path / "mappings", ROOT / "mappings"]).get(name)
    return err.value.problems


def test_a_list_in_extends_is_an_error_at_its_line_not_a_type_error(tmp_path):
    problems = spec_problems(tmp_path, "document: purchase_order\nextends: [default/850-004010-in, default/850-005010-in]\n")
    assert problems == [f"{tmp_path}/mappings/acme/850-004010-in.yaml:2: extends names one mapping spec (owner/name, "
                        "e.g. default/850-004010-in), not a list"]


@pytest.mark.parametrize("value, what", [("5", "a number"), ("{name: x}", "a mapping"), ("../../../etc/passwd", "'../../../etc/passwd'"),
                                         ("/etc/passwd", "'/etc/passwd'")])
def test_extends_that_is_no_spec_name_is_an_error_at_its_line(tmp_path, value, what):
    [problem] = spec_problems(tmp_path, f"document: purchase_order\nextends: {value}\n")
    assert problem.endswith(f".yaml:2: extends names one mapping spec (owner/name, e.g. default/850-004010-in), not {what}")


def test_extends_naming_a_missing_spec_points_at_the_extends_line(tmp_path):
    [problem] = spec_problems(tmp_path, "document: purchase_order\ndirection: inbound\nextends: default/nothing-here\n")
    assert problem.startswith(f"{tmp_path}/mappings/acme/850-004010-in.yaml:3: mapping spec 'default/nothing-here' not found under ")


def test_an_extends_chain_longer_than_the_limit_is_refused_not_a_recursion_error(tmp_path):
    for i in range(MAX_EXTENDS + 5):
        (tmp_path / "mappings" / "chain").mkdir(parents=True, exist_ok=True)
        (tmp_path / "mappings" / "chain" / f"s{i}.yaml").write_text(f"extends: chain/s{i + 1}\n")
    with pytest.raises(ConfigError) as err:
        SpecLibrary([tmp_path / "mappings"]).get("chain/s0")
    assert f"extends chains more than {MAX_EXTENDS} mapping specs (chain/s0 -> chain/s1 -> chain/s2 -> ...)" in err.value.problems[0]


@pytest.mark.parametrize("text, problem", [
    ("", ":1: the mapping spec is empty"),
    ("- document: purchase_order\n", ":1: a mapping spec is a YAML mapping (key: value), not a list"),
    ("purchase_order\n", ":1: a mapping spec is a YAML mapping (key: value), not a string"),
    (b"document: purchase_order\ndescription: caf\xe9\n", ":2: not UTF-8 text (byte 0xe9 at column 17); save the file as UTF-8"),
    ("document: purchase_order\ndirection: inbound\nfields: [po_number]\n", ":3: fields: ['po_number'] is not of type 'object'"),
], ids=["empty", "list", "scalar", "not-utf8", "fields-list"])
def test_a_spec_that_is_not_a_mapping_of_the_right_types_is_an_error_at_its_line(tmp_path, text, problem):
    assert spec_problems(tmp_path, text)[0].endswith(problem)


def test_a_spec_name_that_is_a_path_finds_nothing_outside_the_roots(tmp_path):
    (tmp_path / "secret.yaml").write_text("document: purchase_order\ndirection: inbound\n")
    library = SpecLibrary([tmp_path / "mappings"])
    assert library.path_of("../secret") is None
    with pytest.raises(ConfigError) as err:
        library.get("../secret")
    assert err.value.problems == ["'../secret' is not a mapping spec name (owner/name, e.g. default/850-004010-in)"]
