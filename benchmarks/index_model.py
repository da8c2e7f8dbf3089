"""The long run of the model-based index tests (CI runs a few hundred steps; this runs thousands).

    python benchmarks/index_model.py [--runs 20] [--steps 60] [--which api,large,two] [--pg URL]

Same state machines as tests/test_index_model.py, tests/engine/test_large_model.py and
tests/test_two_processes_model.py, with more and longer random sequences and hypothesis'
shrinking on, so a failure ends as the shortest sequence that reproduces it. Prints the steps
run per operation and the seconds taken. `--pg` adds PostgreSQL runs (a role with CREATEDB).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "engine")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--which", default="api,large,two")
    ap.add_argument("--pg", default=os.environ.get("ZHILI_TEST_PG_URL"))
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="zhili-model-"))
    os.environ["ZHILI_HOME"] = str(home)
    os.environ.pop("ZHILI_DB_URL", None)
    if args.pg:
        os.environ["ZHILI_TEST_PG_URL"] = args.pg

    from hypothesis import HealthCheck, settings
    from hypothesis.stateful import run_state_machine_as_test

    import test_index_model as api
    import test_large_model as large
    import test_two_processes_model as two

    machines = {"api": (api.ApiLibraryMachine, api.RAN), "large": (large.LargeLibraryMachine, large.RAN),
                "two": (two.TwoProcessMachine, two.RAN)}
    backends = ["sqlite"] + (["postgresql"] if args.pg else [])
    for name in args.which.split(","):
        base, ran = machines[name]
        for backend in backends:
            root = Path(tempfile.mkdtemp(prefix=f"{name}-{backend}-", dir=home))
            if name == "large":
                (home / "zhili.toml").write_text(large.LARGE, encoding="utf-8")
            ran.clear()
            machine = type(f"{base.__name__}_{backend}", (base,), {"backend": backend, "root": root})
            t0 = time.perf_counter()
            run_state_machine_as_test(machine, settings=settings(
                max_examples=args.runs, stateful_step_count=args.steps, deadline=None, database=None,
                suppress_health_check=list(HealthCheck)))
            (home / "zhili.toml").unlink(missing_ok=True)
            print(f"{name:5} {backend:10} {sum(ran.values()):5d} steps in {time.perf_counter() - t0:6.1f} s  {dict(ran)}",
                  flush=True)


if __name__ == "__main__":
    main()
