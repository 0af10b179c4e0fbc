"""Pre-flight cost at the start of ``gateway serve``: the partner checks with and without the mapping-spec lint.

    python benchmarks/serve_preflight.py [--partners N] [--runs R]

Two homes: the demo home (the three sample partners, their own specs and the defaults) and one with
N generated partners (default 200) that receive 850, 855, 856 and 810 (004010) mapped with the shared
default specs. For each, in one process (imports and the X12 spec library are loaded first, as they
are by the time ``serve`` checks its partners), the median of R runs of:

    checks    ``not_served`` without the lint (profile, what this version honours, routes)
    + lint    ``not_served`` with a fresh ``MappingLint``, no lint results kept (the first start of ``serve``)
    reload    ``not_served`` with the lint of the run before (serve re-reading a changed profile)
    restart   a fresh ``MappingLint`` reading the results kept in ``store/mapping-lint.json`` (the next start of
              ``serve``, and ``gateway status``)
    lint only ``not_served`` with a fresh ``MappingLint`` over specs already loaded: the part of "+ lint"
              that is not loading the specs, which the translator does anyway for the first document
              (serve lints with the translator's spec library, so that loading is not paid twice)

The lint runs once per (spec file and stamp, partner table names), so the generated partners cost
one lint of each default spec, not one per partner.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.config.partner import Partners  # noqa: E402
from gateway.config.yamlio import dump_yaml  # noqa: E402
from gateway.formats.x12 import SpecLibrary, bundled_dirs  # noqa: E402
from gateway.home import Home  # noqa: E402
from gateway.mapping.spec import SpecLibrary as Mappings  # noqa: E402
from gateway.preflight import MappingLint, not_served  # noqa: E402
from gateway.workdir import demo_home, init_home  # noqa: E402


COLUMNS = ("checks", "+ lint", "reload", "restart", "lint only")


def generated_home(root: Path, count: int) -> Path:
    init_home(root)
    for n in range(count):
        pid = f"partner-{n:04d}"
        profile = {"id": pid, "identity": {"name": f"Partner {n}", "isa_qualifier": "ZZ", "isa_id": f"P{n:06d}"},
                   "documents": {"receives": [{"set": s, "version": "004010"} for s in ("850", "855", "856", "810")]},
                   "channels": {"drop_folder": {"inbound": f"inbound/{pid}", "outbound": f"outbound/{pid}"}},
                   "routes": [{"document": "purchase_order", "connector": "folder", "options": {"path": "erp/orders"}}]}
        (root / "partners" / f"{pid}.yaml").write_text(dump_yaml(profile), encoding="utf-8")
        (root / "inbound" / pid).mkdir()
    return root


def measure(root: Path, runs: int) -> dict[str, float]:
    home = Home(root, True)
    x12 = SpecLibrary(bundled_dirs())
    cache = root / "store" / MappingLint.CACHE
    out: dict[str, list[float]] = {column: [] for column in COLUMNS}
    problems = None

    def timed(column: str, fn) -> None:
        start = time.perf_counter()
        fn()
        out[column].append(time.perf_counter() - start)

    for _ in range(runs):
        cache.unlink(missing_ok=True)
        mappings = Mappings(home.mapping_roots())
        timed("checks", lambda: not_served(Partners(home)))
        lint = MappingLint(home, x12=x12)
        timed("+ lint", lambda: problems_of(not_served(Partners(home), lint=lint, mappings=mappings)))
        timed("reload", lambda: not_served(Partners(home), lint=lint, mappings=Mappings(home.mapping_roots())))
        timed("restart", lambda: not_served(Partners(home), lint=MappingLint(home, x12=x12), mappings=Mappings(home.mapping_roots())))
        cache.unlink()
        timed("lint only", lambda: not_served(Partners(home), lint=MappingLint(home, x12=x12), mappings=mappings))
    return {k: statistics.median(v) for k, v in out.items()}


def problems_of(found: dict) -> None:
    if found:
        raise SystemExit(f"partners not served: {found}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--partners", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    SpecLibrary(bundled_dirs())  # the first X12 library pays for imports: not part of the checks
    with tempfile.TemporaryDirectory() as tmp:
        homes = {"3 sample partners": demo_home(Path(tmp) / "demo", ROOT).root,
                 f"{args.partners} partners, default specs": generated_home(Path(tmp) / "many", args.partners)}
        print(f"{'home':<32}" + "".join(f"{c:>10}" for c in COLUMNS) + f"   (median of {args.runs}, seconds)")
        for label, root in homes.items():
            m = measure(root, args.runs)
            print(f"{label:<32}" + "".join(f"{m[c]:>10.3f}" for c in COLUMNS))


if __name__ == "__main__":
    main()
