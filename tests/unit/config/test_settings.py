"""gateway.yaml: defaults, problems with their line, the store URL and its environment override."""

from __future__ import annotations

import pytest
from gateway.config.settings import DEFAULT_FILE, Settings, load_settings
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


def test_the_file_init_writes_loads_to_the_defaults(tmp_path):
    assert load_settings(home_with(tmp_path, DEFAULT_FILE)).to_data() == Settings().to_data()


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
