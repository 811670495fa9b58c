"""Failure classes found by replaying real release histories, each as a small real scenario.

Every test here failed before its fix (see ``tests/test_replay.py`` for the replay itself).
"""
from __future__ import annotations

import logging

import qtreload

# -- 1. frozen instances ---------------------------------------------------------------

FROZEN = """
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Point:
        x: int
        def label(self):
            return "v1"

    class Locked:
        def __setattr__(self, name, value):
            raise AttributeError("read-only")

    ORIGIN = Point(0)
    LOCKED = Locked()
    VERSION = 1
"""


def test_a_module_with_frozen_instances_reloads_in_full(project, caplog):
    project.write("frozen", FROZEN)
    frozen = project.load("frozen")
    Point, Locked = frozen.Point, frozen.Locked
    project.write("frozen", FROZEN.replace("VERSION = 1", "VERSION = 2")
                  .replace('"v1"', '"v2"'))
    with caplog.at_level(logging.ERROR, logger="qtreload"):
        report = qtreload.check()
    assert report.ok, report.failures
    assert frozen.VERSION == 2
    assert frozen.Point is Point and type(frozen.ORIGIN) is Point
    assert type(frozen.LOCKED) is Locked
    assert frozen.ORIGIN.label() == "v2"
    assert not caplog.records


# -- the fast path compiles as the whole module does ---------------------------------

def test_a_definition_rerun_alone_compiles_as_in_the_whole_module(project):
    """``re.search`` on an imported module: not compiled as a method call, as in a restart."""
    source = """
        import re

        def find(text):
            return re.search("a", text) is not None

        def other():
            return 1
    """
    project.write("finder", source)
    finder = project.load("finder")
    find = finder.find
    project.write("finder", source.replace('"a"', '"b"'))
    report = qtreload.check()
    assert report.reloaded == (finder.__name__,)
    assert finder.find is find and find("abc") and not find("xyz")
    restart = compile(project.path("finder").read_text(), str(project.path("finder")), "exec")
    fresh = next(c for c in restart.co_consts if getattr(c, "co_name", None) == "find")
    assert find.__code__.co_code == fresh.co_code
