"""Run every fact script, each variant, on every installed binding; one line per run.

Usage: python docs/scripts/run_all.py [script-name-prefix...]
Each run is a fresh ``python -X faulthandler`` with ``QT_API`` set and
``QT_QPA_PLATFORM=offscreen``; its exit code is shown (-11 segfault, -6 or 134
abort) with the last lines it printed.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BINDINGS = {"pyqt5": "PyQt5", "pyqt6": "PyQt6", "pyside6": "PySide6"}


def variants(script: Path) -> list[str]:
    """The variants named in the script's usage line, or one run without."""
    found = re.search(r"\[([a-z_|]+)\]", script.read_text().split("\n", 4)[2])
    return found.group(1).split("|") if found and "|" in found.group(1) else [""]


def main(prefixes: list[str]) -> None:
    installed = [api for api, package in BINDINGS.items()
                 if importlib.util.find_spec(package) is not None]
    scripts = sorted(p for p in HERE.glob("*.py")
                     if not p.name.startswith(("_", "run_all"))
                     and (not prefixes or p.name.startswith(tuple(prefixes))))
    for script in scripts:
        qt = "qtpy" in script.read_text()
        for api in installed if qt else ["-"]:
            for variant in variants(script):
                env = dict(os.environ, QT_API=api, QT_QPA_PLATFORM="offscreen")
                run = subprocess.run(
                    [sys.executable, "-X", "faulthandler", script.name, *filter(None, [variant])],
                    cwd=HERE, env=env, capture_output=True, text=True, timeout=60)
                said = " | ".join(run.stdout.strip().splitlines()[-3:])
                print(f"{script.stem:28} {variant:8} {api:8} rc={run.returncode:<4} {said}")


if __name__ == "__main__":
    main(sys.argv[1:])
