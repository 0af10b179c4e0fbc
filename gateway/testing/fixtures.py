"""Mapping fixtures: inputs and expected outputs kept next to each spec.

For a spec ``mappings/<owner>/<name>.yaml`` the fixtures live in
``mappings/<owner>/<name>.fixtures/``:

* inbound specs: ``<case>.<x12|edi|csv|txt|json|xml>`` and ``<case>.expected.json``, the canonical
  documents translating it must give (a JSON list), or ``{"documents": [...], "issues": [...]}``
  when the case is about issues;
* outbound specs: ``<case>.json`` (a canonical document) and ``<case>.expected.x12``, the
  transaction set (ST..SE, delimiters ``* : ^ ~`` and a newline) it must give.

``run`` compares and returns a readable diff; ``update`` rewrites the
expectation after a human has reviewed the change. A case whose spec has problems
(``gateway.mapping.lint``, as ``gateway partner check`` finds them) fails whatever its output,
and is never updated: an expectation must not bless what the spec gets wrong.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GatewayError
from ..translate import Translator, render_text

INPUTS = (".x12", ".edi", ".csv", ".txt", ".json", ".xml", ".dat")


@dataclass(slots=True)
class Fixture:
    spec: str  # mapping spec name, e.g. default/850-004010-in
    owner: str  # the directory under mappings/: default or a partner ID
    input: Path
    expected: Path
    direction: str  # inbound | outbound

    @property
    def name(self) -> str:
        return f"{self.spec}::{self.input.name}"


@dataclass(slots=True)
class Outcome:
    fixture: Fixture
    ok: bool
    actual: str
    expected: str | None
    error: str | None = None
    spec_problems: list[str] = field(default_factory=list)  # what is wrong with the spec itself: the case fails

    def diff(self) -> str:
        """What went wrong: the spec's own errors first (a broken path is the cause, not the diff it leads to)."""
        head = "".join(f"spec error: {p}\n" for p in self.spec_problems)
        if self.error:
            return head + self.error
        exp = (self.expected or "").splitlines(keepends=True)
        act = self.actual.splitlines(keepends=True)
        return head + "".join(difflib.unified_diff(exp, act, f"{self.fixture.expected} (expected)", "actual", n=2))


def discover(root: Path) -> list[Fixture]:
    """Fixtures under ``root``: a mappings directory, one spec file, or one ``.fixtures`` directory."""
    root = Path(root)
    if root.is_file() and root.suffix == ".yaml":
        dirs = [root.with_suffix(".fixtures")]
    elif root.is_dir() and root.name.endswith(".fixtures"):
        dirs = [root]
    else:
        dirs = sorted(p for p in root.rglob("*.fixtures") if p.is_dir())
    out = []
    for d in dirs:
        spec_file = d.with_suffix(".yaml")
        mappings_root = _mappings_root(spec_file)
        spec = spec_file.relative_to(mappings_root).with_suffix("").as_posix()
        owner = spec.split("/", 1)[0]
        for inp in sorted(d.iterdir()):
            if ".expected." in inp.name or inp.suffix.lower() not in INPUTS:
                continue
            stem = inp.name[: -len(inp.suffix)]
            exp_json, exp_x12 = d / f"{stem}.expected.json", d / f"{stem}.expected.x12"
            if exp_x12.exists() or (inp.suffix == ".json" and spec.endswith("-out")):
                out.append(Fixture(spec, owner, inp, exp_x12, "outbound"))
            else:
                out.append(Fixture(spec, owner, inp, exp_json, "inbound"))
    return out


def _mappings_root(spec_file: Path) -> Path:
    # mappings/<owner>/<name>.yaml: the root is two levels up
    return spec_file.parent.parent


def actual_text(fixture: Fixture, translator: Translator) -> str:
    if fixture.direction == "outbound":
        document = json.loads(fixture.input.read_text(encoding="utf-8"))
        segments, issues = translator.render_set(fixture.spec, document)
        text = render_text(segments)
        errors = [i for i in issues if i.severity == "error"]
        if errors:
            text += "".join(f"# {i.code} {i.field}: {i.message}\n" for i in errors)
        return text
    partner = None if fixture.owner == "default" else fixture.owner
    result = translator.translate(fixture.input, partner_id=partner, spec=fixture.spec, anonymous=partner is None)
    docs = [d.document for d in result.documents if d.document is not None]
    issues = [dict(i.to_dict(), document=n) for n, d in enumerate(result.documents) for i in d.issues]
    for issue in issues:  # flat-file positions name the file: keep expectations independent of the directory
        issue["source"] = issue["source"].replace(str(fixture.input), fixture.input.name)
    payload: object = docs if not issues else {"documents": docs, "issues": issues}
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def run(fixture: Fixture, translator: Translator, linted: dict | None = None) -> Outcome:
    """The fixture's outcome; it fails when its spec has problems even if the output matches. ``linted``
    keeps each spec's problems across the cases of one run (a spec is linted once)."""
    outcome = _run(fixture, translator)
    key = (fixture.spec, fixture.owner)
    problems = linted.get(key) if linted is not None else None
    if problems is None:
        problems = spec_problems(fixture, translator)
        if linted is not None:
            linted[key] = problems
    outcome.spec_problems = problems
    outcome.ok = outcome.ok and not problems
    return outcome


def _run(fixture: Fixture, translator: Translator) -> Outcome:
    try:
        actual = actual_text(fixture, translator)
    except GatewayError as exc:
        return Outcome(fixture, False, "", None, f"{fixture.input}: {exc}")
    expected = fixture.expected.read_text(encoding="utf-8") if fixture.expected.exists() else None
    if expected is None:
        return Outcome(fixture, False, actual, None, f"{fixture.expected}: missing (run with --update to create it after review)")
    if fixture.direction == "inbound":
        try:
            same = json.loads(expected) == json.loads(actual)
        except ValueError:
            same = False
    else:
        same = expected == actual
    return Outcome(fixture, same, actual, expected)


def spec_problems(fixture: Fixture, translator: Translator) -> list[str]:
    """The fixture's spec checked on its own (``gateway.mapping.lint``): does not load, or its rules are wrong."""
    from ..mapping.lint import lint_spec

    tables = {}
    if fixture.owner != "default" and translator.partners is not None:
        try:
            tables = translator.partners.get(fixture.owner).tables
        except GatewayError:
            pass  # a fixture of specs without a partner profile: the spec's own tables only
    try:
        return lint_spec(translator.mappings, fixture.spec, translator.x12_library, tables=tables, shown=_shown).problems
    except GatewayError as exc:
        return getattr(exc, "problems", None) or [str(exc)]


def _shown(file: str) -> str:
    try:
        return str(Path(file).absolute().relative_to(Path.cwd()))
    except ValueError:
        return file


def update(outcome: Outcome) -> None:
    """Rewrite the expectation with today's output; refused (``GatewayError``) while the spec has problems."""
    if outcome.spec_problems:
        raise GatewayError(f"{outcome.fixture.name}: not updated: its spec has {len(outcome.spec_problems)} problem"
                           f"{'s' * (len(outcome.spec_problems) != 1)} (spec error lines); fix the spec first", code="mapping.spec_invalid")
    outcome.fixture.expected.write_text(outcome.actual, encoding="utf-8")


def mappings_root_of(fixture: Fixture) -> Path:
    return _mappings_root(fixture.input.parent.with_suffix(".yaml"))


def translator_for_fixtures(home, fixtures: list[Fixture], spec_dirs: list[Path] | None = None) -> Translator:
    """The home's translator (its partners and specs), also seeing the mappings roots the fixtures live in."""
    from ..translate import translator_for

    translator = translator_for(home, spec_dirs)
    known = {r.resolve() for r in translator.mappings.roots}
    for root in dict.fromkeys(mappings_root_of(f) for f in fixtures):
        if root.resolve() not in known:
            translator.mappings.roots.insert(0, root)
            known.add(root.resolve())
    return translator
