"""gateway.yaml: defaults, problems with their line, the store URL and its environment override."""

from __future__ import annotations

import pytest
from gateway.config.settings import OwnIdentity, Settings, identity_problems, load_settings, read_settings, settings_file
from gateway.errors import ConfigError
from gateway.home import Home


def home_with(tmp_path, text: str | None) -> Home:
    if text is not None:
        (tmp_path / "gateway.yaml").write_text(text)
    return Home(tmp_path, True, None)


def test_no_file_means_defaults(tmp_path):
    s = load_settings(home_with(tmp_path, None))
    assert s.retry.max_attempts == 10 and s.workers.batch == 100
    assert s.store_url(home_with(tmp_path, None), environ={}) == f"sqlite:///{tmp_path / 'store' / 'gateway.db'}"


def test_the_file_init_writes_loads_to_the_defaults_with_our_identity_and_the_erp_connector(tmp_path):
    ours = OwnIdentity(isa_qualifier="01", isa_id="123456789")
    s = load_settings(home_with(tmp_path, settings_file(ours)))
    assert (s.identity.isa_qualifier, s.identity.isa_id, s.identity.application_ids) == ("01", "123456789", ["123456789"])
    assert s.connectors["erp"].type == "folder" and s.connectors["erp"].options == {"path": "erp"}
    defaults = Settings().to_data()
    assert {k: v for k, v in s.to_data().items() if k not in ("identity", "connectors")} == defaults


def test_the_placeholder_identity_init_writes_is_flagged_with_its_line(tmp_path):
    home = home_with(tmp_path, settings_file(None))
    settings, source = read_settings(home)
    [problem] = identity_problems(home, settings, source)
    line = settings_file(None).splitlines().index('  isa_id: "CHANGE-ME"') + 1
    assert f"gateway.yaml:{line}: identity.isa_id is the placeholder CHANGE-ME" in problem and "--isa-id" in problem


def test_a_gateway_yaml_without_identity_is_flagged(tmp_path):
    home = home_with(tmp_path, "workers: {batch: 5}\n")
    [problem] = identity_problems(home, *read_settings(home))
    assert "gateway.yaml:1: our own identity is not set" in problem and "gateway init" in problem


def test_an_identity_key_the_gateway_does_not_honour_is_refused(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(home_with(tmp_path, "identity: {isa_qualifier: ZZ, isa_id: OURCO, as2_id: OURCO}\n"))
    assert "unknown key 'as2_id'" in err.value.problems[0]


def test_a_named_connector_needs_a_type(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(home_with(tmp_path, "connectors:\n  erp: {options: {path: erp}}\n"))
    assert "gateway.yaml:2" in err.value.problems[0] and "'type'" in err.value.problems[0]


def test_every_problem_is_reported_with_its_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(home_with(tmp_path, "workers:\n  batch: 0\nretry:\n  base_secs: 1\n"))
    text = "\n".join(err.value.problems)
    assert "gateway.yaml:2" in text and "gateway.yaml:4" in text and "base_secs" in text


def test_store_url_from_the_environment_wins(tmp_path):
    h = home_with(tmp_path, "store: {url: 'sqlite:///elsewhere.db'}\n")
    s = load_settings(h)
    assert s.store_url(h, environ={}) == "sqlite:///elsewhere.db"
    assert s.store_url(h, environ={"GATEWAY_STORE_URL": "postgresql+psycopg://db/x"}) == "postgresql+psycopg://db/x"


def test_env_references_are_resolved(tmp_path):
    h = home_with(tmp_path, "store: {url: '${DB_URL}'}\n")
    assert load_settings(h, environ={"DB_URL": "postgresql+psycopg://h/d"}).store.url == "postgresql+psycopg://h/d"


def test_backoff_doubles_up_to_the_cap():
    r = Settings.from_data({"retry": {"base_seconds": 2, "cap_seconds": 10}}).retry
    assert [r.delay(n) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 10, 10]


def test_a_one_character_isa_id_without_a_gs_id_is_flagged_as_no_gs_id_can_be_that_short(tmp_path):
    home = home_with(tmp_path, "identity: {isa_qualifier: ZZ, isa_id: X}\n")
    [problem] = identity_problems(home, *read_settings(home))
    assert "gateway.yaml:1: identity.gs_ids is needed" in problem
    ok = home_with(tmp_path, "identity: {isa_qualifier: ZZ, isa_id: X, gs_ids: [XX]}\n")
    assert identity_problems(ok, *read_settings(ok)) == []
