"""The registry: names to connector types, option validation listing every problem, copies for tests."""

from __future__ import annotations

import pytest

from gateway.connectors import ConnectorType, Registry, default_registry
from gateway.connectors.folder import FolderConnector
from gateway.connectors.http import HttpConnector
from gateway.connectors.memory import MemoryConnector, MemoryOptions, MemoryTarget, memory_connector_type
from gateway.errors import ConfigError


def problems_of(registry: Registry, name: str, options: dict, context) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        registry.create(name, options, context, where="acme.yaml routes/0")
    assert caught.value.code == "config.invalid"
    return caught.value.problems


def test_default_registry_has_the_shipped_connectors():
    assert default_registry(plugins=False).names() == ["folder", "http", "memory"]


def test_each_call_gives_a_new_registry():
    one, two = default_registry(plugins=False), default_registry(plugins=False)
    one.add(memory_connector_type("erp"))
    assert "erp" in one and "erp" not in two


def test_create_builds_each_shipped_connector(context, home):
    registry = default_registry(plugins=False)
    folder = registry.create("folder", {"path": "erp/orders"}, context)
    assert isinstance(folder, FolderConnector) and folder.folder == home.root / "erp" / "orders"
    assert isinstance(registry.create("http", {"url": "http://127.0.0.1:9/orders"}, context), HttpConnector)
    assert isinstance(registry.create("memory", None, context), MemoryConnector)


def test_duplicate_name_is_an_error():
    registry = default_registry(plugins=False)
    with pytest.raises(ValueError, match="'memory' is registered twice"):
        registry.add(memory_connector_type("memory"))


def test_copy_is_independent():
    original = default_registry(plugins=False)
    copy = original.copy()
    copy.add(memory_connector_type("erp"))
    assert "erp" in copy and "erp" not in original
    assert copy.get("folder") is original.get("folder")


def test_unknown_connector_names_the_known_ones(context):
    assert problems_of(default_registry(plugins=False), "sftp", {}, context) == [
        "acme.yaml routes/0: unknown connector 'sftp' (known: folder, http, memory)"
    ]


def test_every_option_problem_is_listed_at_once(context):
    found = problems_of(default_registry(plugins=False), "http", {
        "url": "ftp://erp.example.com/orders",
        "timeout_seconds": "fast",
        "retries": -1,
        "method": "GET",
        "colour": "blue",
        "headers": {"X Bad": "1", "X-Number": 7},
    }, context)
    text = "\n".join(found)
    assert len(found) == 7, text
    assert all(p.startswith("acme.yaml routes/0: ") for p in found)
    for expected in ("unknown key 'colour'", "timeout_seconds: 'fast' is not of type 'number'", "retries: -1 is less than the minimum of 0",
                     "method: 'GET' is not one of ['POST', 'PUT']", "url: 'ftp://erp.example.com/orders' does not match",
                     "headers/X Bad: key 'X Bad' is not an HTTP header name", "headers/X-Number: ******** is not of type 'string'"):
        assert expected in text


def test_missing_required_option(context):
    assert problems_of(default_registry(plugins=False), "folder", {"format": "json"}, context) == [
        "acme.yaml routes/0: missing required key 'path'"
    ]


def test_booleans_are_not_numbers_and_lists_are_lists(context):
    found = problems_of(default_registry(plugins=False), "memory", {"fail_first": True, "fail_keys": "k1", "terminal": "yes"}, context)
    assert found == [
        "acme.yaml routes/0: fail_first: True is not of type 'integer'",
        "acme.yaml routes/0: fail_keys: 'k1' is not of type 'array'",
        "acme.yaml routes/0: terminal: 'yes' is not of type 'boolean'",
    ]


def test_options_must_be_a_mapping(context):
    assert problems_of(default_registry(plugins=False), "folder", ["erp"], context) == [
        "acme.yaml routes/0: options of connector 'folder' must be a mapping, not list"
    ]


def test_factory_problems_are_listed_together_with_the_route(context):
    found = problems_of(default_registry(plugins=False), "folder", {"path": "erp", "name": "{po}/{ext}"}, context)
    assert found == [
        "acme.yaml routes/0: name: unknown field(s) {po} (fields: document_type, business_key, key, partner_id, correlation_id, ext)",
        "acme.yaml routes/0: name: the template must contain {key} so that a repeated delivery overwrites its own file",
        "acme.yaml routes/0: name: a file name, not a path: no / or \\ (put folders in path)",
    ]


def test_a_registered_type_gets_validated_options_with_defaults(context):
    seen = []

    def build(options, ctx):
        seen.append(options)
        return MemoryConnector(MemoryTarget())

    registry = Registry([ConnectorType("erp", MemoryOptions, build)])
    registry.create("erp", {"fail_first": 2}, context)
    assert isinstance(seen[0], MemoryOptions)
    assert (seen[0].fail_first, seen[0].fail_every, seen[0].fail_keys, seen[0].terminal) == (2, 0, [], False)


def test_options_schema_documents_each_connector():
    registry = default_registry(plugins=False)
    for name in registry.names():
        schema = registry.get(name).options.json_schema()
        assert schema["additionalProperties"] is False
        assert all("description" in p or "$ref" in p or "anyOf" in p for p in schema["properties"].values()), name
    assert registry.get("http").options.json_schema()["required"] == ["url"]


def named(**connectors):
    from gateway.config.settings import NamedConnector

    return {name: NamedConnector.from_data(spec) for name, spec in connectors.items()}


def test_a_route_naming_a_named_connector_builds_its_type_with_the_routes_options_over_its_own(context, home):
    registry = default_registry(plugins=False).with_named(named(erp={"type": "folder", "options": {"path": "erp", "format": "csv"}}))
    assert "erp" in registry and registry.names() == ["erp", "folder", "http", "memory"]
    plain = registry.create("erp", None, context)
    assert isinstance(plain, FolderConnector) and plain.folder == home.root / "erp"
    assert registry.create("erp", {"path": "erp/orders"}, context).folder == home.root / "erp" / "orders"
    assert problems_of(registry, "erp", {"paht": "x"}, context)[0].startswith("acme.yaml routes/0 (connector 'erp', a folder): paht: unknown key")
    assert "erp" not in default_registry(plugins=False)  # with_named gives a copy


def test_a_named_connector_with_a_types_name_or_an_unknown_type_is_refused_with_where_it_is(context):
    with pytest.raises(ConfigError) as caught:
        default_registry(plugins=False).with_named(named(folder={"type": "folder"}, sap={"type": "rfc"}), where=lambda n: f"gateway.yaml {n}")
    assert caught.value.problems == [
        "gateway.yaml folder: connector name 'folder' is a connector type; give the named connector another name",
        "gateway.yaml sap: connector 'sap': unknown type 'rfc' (known: folder, http, memory)",
    ]
