"""The work directory: --home, GATEWAY_HOME, else the current directory when it is a home, else the shipped layout (read only)."""

from __future__ import annotations

from pathlib import Path

from helpers import ROOT

from gateway.data import DATA_ROOT
from gateway.home import Home


def shipped_layout(path: Path) -> Path:
    (path / "mappings" / "default").mkdir(parents=True)
    (path / "partners").mkdir()
    return path


def make_home(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "gateway.yaml").write_text("")
    return path


def test_in_a_checkout_the_shipped_data_is_the_repository():
    assert DATA_ROOT == ROOT
    home = Home.locate(environ={}, cwd=ROOT / "tests")
    assert home.root == ROOT and not home.explicit
    assert home.partners_dir == ROOT / "partners" and home.mapping_roots() == [ROOT / "mappings"]


def test_given_beats_environment_beats_the_current_home(tmp_path):
    data = shipped_layout(tmp_path / "data")
    here = make_home(tmp_path / "here")
    env = {"GATEWAY_HOME": str(tmp_path / "env-home")}
    assert Home.locate(tmp_path / "given", environ=env, cwd=here, repo_root=data).root == tmp_path / "given"
    home = Home.locate(None, environ=env, cwd=here, repo_root=data)
    assert home.root == tmp_path / "env-home" and home.explicit
    assert Home.locate(None, environ={}, cwd=here, repo_root=data) == Home(here, False, data)


def test_a_directory_without_gateway_yaml_is_not_chosen_the_shipped_layout_is_read(tmp_path):
    data = shipped_layout(tmp_path / "data")
    home = Home.locate(environ={}, cwd=tmp_path, repo_root=data)
    assert home == Home(data, False, data)
    assert not home.is_home and home.mapping_roots() == [data / "mappings"]
    assert home.problem().startswith("not in a gateway home: give --home DIR")
    make_home(data)  # a home made in the checkout is a home
    assert Home.locate(environ={}, cwd=tmp_path, repo_root=data).problem() is None


def test_a_given_directory_that_is_not_a_home_says_how_to_make_one(tmp_path):
    missing = Home.locate(tmp_path / "nowhere", environ={})
    assert missing.problem() == f"{tmp_path / 'nowhere'} is not a gateway home (does not exist): create one with: gateway init {tmp_path / 'nowhere'}"
    (tmp_path / "plain").mkdir()
    assert "(has no gateway.yaml)" in Home.locate(tmp_path / "plain", environ={}).problem()
    assert Home.locate(make_home(tmp_path / "plain"), environ={}).problem() is None


def test_a_home_searches_its_own_mappings_then_the_default_specs(tmp_path):
    data = shipped_layout(tmp_path / "data")
    home = Home.locate(tmp_path / "work", environ={}, repo_root=data)
    assert home.mapping_roots() == [tmp_path / "work" / "mappings", data / "mappings"]
    assert home.inbound_dir("acme") == tmp_path / "work" / "inbound" / "acme"
    assert home.outbound_dir("acme") == tmp_path / "work" / "outbound" / "acme"
    assert home.resolve("keys/a.pem") == tmp_path / "work" / "keys" / "a.pem"
    assert home.resolve("/etc/x") == Path("/etc/x")


def test_a_file_is_not_a_home(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    assert "not a directory" in Home(f, True).check_usable()
    assert "not a directory" in Home(f, True).problem()
    assert Home(tmp_path, True).check_usable() is None
