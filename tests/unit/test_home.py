"""The work directory: --home, GATEWAY_HOME, else the repository layout, else the current directory."""

from __future__ import annotations

from pathlib import Path

from helpers import ROOT

from gateway.home import REPO_ROOT, Home


def fake_checkout(path: Path) -> Path:
    (path / "gateway").mkdir(parents=True)
    (path / "cli.py").write_text("")
    (path / "mappings" / "default").mkdir(parents=True)
    return path


def test_default_is_this_repository():
    assert REPO_ROOT == ROOT
    home = Home.locate(environ={})
    assert home.root == ROOT and not home.explicit
    assert home.partners_dir == ROOT / "partners" and home.mapping_roots() == [ROOT / "mappings"]


def test_given_beats_environment_beats_checkout(tmp_path):
    repo = fake_checkout(tmp_path / "repo")
    env = {"GATEWAY_HOME": str(tmp_path / "env-home")}
    assert Home.locate(tmp_path / "given", environ=env, repo_root=repo).root == tmp_path / "given"
    home = Home.locate(None, environ=env, repo_root=repo)
    assert home.root == tmp_path / "env-home" and home.explicit
    assert Home.locate(None, environ={}, repo_root=repo) == Home(repo, False, repo)


def test_outside_a_checkout_the_current_directory(tmp_path):
    home = Home.locate(environ={}, cwd=tmp_path, repo_root=tmp_path / "not-a-checkout")
    assert home == Home(tmp_path, False, None)
    assert home.mapping_roots() == [tmp_path / "mappings"]


def test_a_home_searches_its_own_mappings_then_the_default_specs(tmp_path):
    repo = fake_checkout(tmp_path / "repo")
    home = Home.locate(tmp_path / "work", environ={}, repo_root=repo)
    assert home.mapping_roots() == [tmp_path / "work" / "mappings", repo / "mappings"]
    assert home.inbound_dir("acme") == tmp_path / "work" / "inbound" / "acme"
    assert home.outbound_dir("acme") == tmp_path / "work" / "outbound" / "acme"
    assert home.resolve("keys/a.pem") == tmp_path / "work" / "keys" / "a.pem"
    assert home.resolve("/etc/x") == Path("/etc/x")


def test_a_file_is_not_a_home(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    assert "not a directory" in Home(f, True).check_usable()
    assert Home(tmp_path, True).check_usable() is None
