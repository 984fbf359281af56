"""Run every ``bench/bench_*.py`` script in turn and print what each prints.

Usage: ``python -m bench [NAME_FRAGMENT ...]`` (only scripts whose name contains a fragment).
Each script runs in its own interpreter so one benchmark's state cannot skew another's.
Exit status is non-zero if any script failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def scripts(fragments: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    return [p for p in found if not fragments or any(f in p.stem for f in fragments)]


def main(argv: list[str]) -> int:
    selected = scripts(argv)
    if not selected:
        print("no benchmark scripts matched", file=sys.stderr)
        return 1
    failed = []
    for path in selected:
        print(f"== {path.stem} ==", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(path)], cwd=ROOT)
        print(f"-- {path.stem}: {'ok' if result.returncode == 0 else f'FAILED ({result.returncode})'} "
              f"in {time.perf_counter() - started:.1f} s\n", flush=True)
        if result.returncode != 0:
            failed.append(path.stem)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
