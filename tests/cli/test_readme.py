"""The README's two quickstart commands are the ones CI runs, and the README documents every finding code."""

from helpers import ROOT

from gateway.formats.x12 import CODES

README = (ROOT / "README.md").read_text()
CI = (ROOT / ".ci" / "run").read_text()


def quickstart() -> list[str]:
    block = README.split("## Quickstart", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()]


def test_quickstart_has_two_commands_and_ci_runs_the_test_one():
    run_demo, run_tests = quickstart()
    assert run_demo.endswith("gateway demo")
    assert run_tests in CI


def test_readme_lists_every_finding_code():
    missing = [code for code in CODES if code != "x12.not_x12" and f"`{code}`" not in README]
    assert not missing
