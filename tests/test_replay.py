"""Real release histories, saved one after another into a running process, match a restart.

Each archive in ``tests/data/replay/`` holds the package sources of a few
consecutive releases of a real project from PyPI (written by
``python benchmarks/replay.py --vendor PROJECT=V1,V2,...``). The replay
(``tests/replay_harness.py``) imports the first release, saves each next one
over it file by file as an editor would, runs ``qtreload.check()`` and
compares every module with a fresh import of that release in another process:
public names, function code and defaults, class members, and that the
functions and classes of the first import are still the ones the modules hold.
``benchmarks/replay.py`` runs the same on whole histories (20+ releases each).
"""
from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from replay_harness import replay

DATA = Path(__file__).resolve().parent / "data" / "replay"

#: Project -> its vendored releases, oldest first, and what they exercise.
PINNED = {
    # Module-level frozen attrs instances (TypeChecker, slotted with __weakref__), a
    # class turned slotted (restart needed), then a registry module renamed and its
    # names moved between modules that import each other.
    "jsonschema": ["4.18.0", "4.18.1", "4.20.0", "4.21.0"],
    # A package that re-exports its submodules with ``from .more import *``: names
    # added to and removed from ``__all__``; submodules importing each other.
    "more-itertools": ["8.4.0", "8.5.0", "8.6.0", "8.7.0"],
    # A class registry filled by a metaclass, import cycles, TYPE_CHECKING imports.
    "marshmallow": ["3.13.0", "3.14.0", "3.15.0"],
}


def _versions(project: str, folder: Path) -> list[Path]:
    with tarfile.open(DATA / f"{project}.tar.xz") as archive:
        archive.extractall(folder, filter="data")
    return [folder / version for version in {**PINNED, **RELOAD_ONLY}[project]]


#: Releases that reload without failure and keep identity, but do not match a restart in
#: full: module-level data of modules that did not re-run (README, "What still differs
#: from a restart"). attrs: module-level frozen, slotted instances (``Attribute``).
RELOAD_ONLY = {"attrs": ["20.1.0", "20.2.0", "21.2.0", "21.3.0"]}


@pytest.mark.parametrize("project", list(PINNED))
def test_each_release_saved_into_a_running_process_matches_a_restart(project, tmp_path):
    steps = replay(_versions(project, tmp_path / "versions"), tmp_path / "scratch")
    assert [s.version for s in steps] == PINNED[project][1:]
    for step in steps:
        assert step.fresh_ok, f"{project} {step.version} does not import fresh"
        assert step.reloaded, f"{project} {step.version}: nothing reloaded"
        assert step.matches, (f"{project} {step.version} differs from a restart:\n"
                              + "\n".join(step.differences[:20]))


@pytest.mark.parametrize("project", list(RELOAD_ONLY))
def test_each_release_reloads_and_keeps_identity(project, tmp_path):
    steps = replay(_versions(project, tmp_path / "versions"), tmp_path / "scratch")
    for step in steps:
        assert step.fresh_ok and step.reloaded and not step.failures, step.failures
        broken = [d for d in step.differences if "first import" in d or "waiting" in d]
        assert not broken, f"{project} {step.version}: {broken}"


#: A registry module that re-runs in full: marshmallow 3.24.1 edits ``class_registry``,
#: whose ``_registry`` the schemas of unchanged modules filled at their import.
REGISTRY_RERUN = ["3.24.0", "3.24.1"]


def test_with_rerun_importers_a_registry_module_rerun_is_filled_as_after_a_restart(tmp_path):
    with tarfile.open(DATA / "marshmallow.tar.xz") as archive:
        archive.extractall(tmp_path / "versions", filter="data")
    versions = [tmp_path / "versions" / version for version in REGISTRY_RERUN]
    (by_default,) = replay(versions, tmp_path / "scratch")
    assert by_default.fresh_ok and not by_default.failures
    # The README names it: the registry holds only what the re-run put there.
    assert by_default.differences == [
        "marshmallow.class_registry._registry: dict[0] != restart's dict[2]"]
    (rerun,) = replay(versions, tmp_path / "scratch", rerun_importers=True)
    assert rerun.matches, rerun.differences
    assert "marshmallow.schema" in rerun.reloaded  # its schemas registered themselves again
