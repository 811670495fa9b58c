"""Replay real release histories from PyPI into a running process; report match rate and speed.

    python benchmarks/replay.py                  # every project below, downloads cached
    python benchmarks/replay.py --only attrs     # one project
    python benchmarks/replay.py --cache DIR      # where wheels and extracted versions go
    python benchmarks/replay.py --vendor attrs=20.1.0,20.2.0   # the pinned set of the tests

Each history is replayed twice: as qtreload runs by default, and with
``qtreload.configure(rerun_importers=True)``. Each project's releases are
downloaded as wheels (``pip download --no-deps``), their package sources
extracted (tests and benchmarks left out), and replayed oldest first by
``tests/replay_harness.py``: every save is reloaded with ``qtreload.check()``
and compared with a fresh import of that version. Prints the match rate and
the reload time per step (median, p95, max) as markdown, and each step that
differs with its first differences.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from replay_harness import replay  # noqa: E402

#: Each project, its import packages, and its releases oldest first. Chosen for:
#: jsonschema: frozen attrs instances at module level, a validator registry, import
#: cycles, TYPE_CHECKING imports; marshmallow: a class registry filled by a metaclass,
#: import cycles, TYPE_CHECKING imports; more-itertools: a package that re-exports its
#: submodules with ``from .more import *``; attrs: frozen classes and module-level
#: frozen instances, ``attrs`` re-exporting ``attr`` with ``*``.
_RELEASES = """
jsonschema      jsonschema   4.18.0 4.18.1 4.18.2 4.18.3 4.18.4 4.18.5 4.18.6 4.19.0 4.19.1
                             4.19.2 4.20.0 4.21.0 4.21.1 4.22.0 4.23.0 4.24.0 4.24.1 4.25.0
                             4.25.1 4.26.0
marshmallow     marshmallow  3.13.0 3.14.0 3.14.1 3.15.0 3.16.0 3.17.0 3.17.1 3.18.0 3.19.0
                             3.20.0 3.20.1 3.20.2 3.21.0 3.21.1 3.21.2 3.21.3 3.22.0 3.23.0
                             3.23.1 3.23.2 3.23.3 3.24.0 3.24.1 3.24.2 3.25.0 3.25.1 3.26.0
                             3.26.1 3.26.2
more-itertools  more_itertools  8.0.0 8.0.1 8.0.2 8.1.0 8.2.0 8.3.0 8.4.0 8.5.0 8.6.0 8.7.0
                             8.8.0 8.9.0 8.10.0 8.12.0 8.13.0 8.14.0 9.0.0 9.1.0 10.0.0 10.1.0
                             10.2.0 10.3.0 10.4.0 10.5.0 10.6.0 10.7.0 10.8.0
attrs           attr,attrs   20.1.0 20.2.0 20.3.0 21.2.0 21.3.0 21.4.0 22.1.0 22.2.0 23.1.0
                             23.2.0 24.1.0 24.2.0 24.3.0 25.1.0 25.2.0 25.3.0 25.4.0 26.1.0
"""


def _projects() -> dict[str, tuple[tuple[str, ...], list[str]]]:
    """project -> (its import packages, its releases oldest first), from ``_RELEASES``."""
    projects: dict[str, tuple[tuple[str, ...], list[str]]] = {}
    releases: list[str] = []
    for line in _RELEASES.strip().splitlines():
        if not line.startswith(" "):
            project, packages, *rest = line.split()
            releases = rest
            projects[project] = (tuple(packages.split(",")), releases)
        else:
            releases.extend(line.split())
    return projects


PROJECTS = _projects()

_LEFT_OUT = frozenset({"tests", "test", "testing", "benchmarks"})


def fetch(project: str, version: str, cache: Path) -> Path:
    """The wheel of ``project==version``, downloaded into ``cache`` if not there yet."""
    wheels = cache / "wheels" / project
    stem = project.replace("-", "_")
    found = list(wheels.glob(f"{stem}-{version}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--only-binary", ":all:", "-d", str(wheels), f"{project}=={version}"],
                       check=True)
        found = list(wheels.glob(f"{stem}-{version}-*.whl"))
    return found[0]


def extract(wheel: Path, packages: tuple[str, ...], target: Path) -> Path:
    """The package sources of ``wheel`` (``.py`` files only, tests left out) in ``target``."""
    if not target.exists():
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                parts = member.split("/")
                top = parts[0].removesuffix(".py")
                if (top in packages and member.endswith(".py")
                        and not _LEFT_OUT & set(parts[1:-1])):
                    (target / member).parent.mkdir(parents=True, exist_ok=True)
                    (target / member).write_bytes(archive.read(member))
    return target


def vendor(project: str, releases: list[str], cache: Path, target: Path) -> Path:
    """Write ``releases`` of ``project`` (package sources) as ``target/PROJECT.tar.xz``."""
    packages, _ = PROJECTS[project]
    target.mkdir(parents=True, exist_ok=True)
    archive = target / f"{project}.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        for version in releases:
            folder = extract(fetch(project, version, cache), packages,
                             cache / "versions" / project / version)
            for path in sorted(folder.rglob("*.py")):
                info = tar.gettarinfo(str(path), f"{version}/{path.relative_to(folder)}")
                info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                with open(path, "rb") as f:
                    tar.addfile(info, f)
    return archive


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated projects")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "qtreload-replay"))
    parser.add_argument("--show", type=int, default=3, help="differences shown per step")
    parser.add_argument("--vendor", metavar="PROJECT=V1,V2,...", action="append", default=[],
                        help="write these releases to tests/data/replay/PROJECT.tar.xz and exit")
    args = parser.parse_args()
    cache = Path(args.cache)
    for spec in args.vendor:
        project, _, releases = spec.partition("=")
        print(vendor(project, releases.split(","), cache,
                     Path(__file__).resolve().parent.parent / "tests" / "data" / "replay"))
    if args.vendor:
        return 0
    chosen = args.only.split(",") if args.only else list(PROJECTS)
    modes = {"default": False, "rerun_importers=True": True}
    rows, all_times = [], {mode: [] for mode in modes}
    for project in chosen:
        packages, releases = PROJECTS[project]
        versions = [extract(fetch(project, v, cache), packages,
                            cache / "versions" / project / v) for v in releases]
        for mode, rerun in modes.items():
            steps = replay(versions, cache / "scratch" / project, rerun_importers=rerun)
            comparable = [s for s in steps if s.fresh_ok]
            matched = [s for s in comparable if s.matches]
            times = [s.seconds * 1000 for s in steps]
            all_times[mode] += times
            rows.append((project, mode, len(steps), len(comparable), len(matched), times))
            for step in comparable:
                if not step.matches:
                    print(f"{project} ({mode}) {step.version}: "
                          f"{len(step.differences)} differences")
                    for line in step.differences[:args.show]:
                        print(f"    {line}")
            sys.stdout.flush()
    print("\n| project | configure | saves | fresh import works | match a restart "
          "| reload ms median / p95 / max |")
    print("|---|---|---|---|---|---|")
    for project, mode, n, comparable, matched, times in rows:
        print(f"| {project} | {mode} | {n} | {comparable} | {matched} | "
              f"{statistics.median(times):.1f} / {percentile(times, 95):.1f} / "
              f"{max(times):.1f} |")
    for mode, times in all_times.items():
        total = sum(r[3] for r in rows if r[1] == mode)
        matched = sum(r[4] for r in rows if r[1] == mode)
        print(f"\n{mode}: match rate {matched}/{total} = {matched / max(total, 1):.1%}; reload "
              f"ms per step: median {statistics.median(times):.1f}, p95 "
              f"{percentile(times, 95):.1f}, max {max(times):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
