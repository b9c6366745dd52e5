"""`make bench`: run every benchmark (benchmarks/bench_*.py) one after the other, so that none
competes with another for the two cores, and print their tables.

    python benchmarks/run.py                # all
    python benchmarks/run.py allocation     # those whose name contains "allocation"
    python benchmarks/run.py allocation --sizes medium   # only the medium scenario (a quick check)

``--sizes`` (``make bench BENCH=allocation SIZES=medium``) reaches the benchmarks that take sizes
(bench_allocation, bench_resilience) as ``BENCH_SIZES``: names (small, medium, large) or numbers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    env = dict(os.environ)
    if "--sizes" in argv:
        i = argv.index("--sizes")
        env["BENCH_SIZES"] = argv[i + 1] if i + 1 < len(argv) else ""
        argv = argv[:i] + argv[i + 2 :]
    if argv:
        scripts = [s for s in scripts if any(word in s.stem for word in argv)]
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        began = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, env=env)
        print(
            f"--- {script.stem}: {time.perf_counter() - began:.0f} s, exit {result.returncode}",
            flush=True,
        )
        if result.returncode:
            failed.append(script.stem)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
