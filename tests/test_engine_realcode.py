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


# -- 2. import edges that never run at import time; cycles in restart order ------------

def test_an_import_under_type_checking_does_not_order_the_reload(project):
    """alpha uses a name zeta gains in the same save; zeta's TYPE_CHECKING import is no edge."""
    project.write("zeta", """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import {p}alpha
        OLD = 1
    """)
    project.write("alpha", "from {p}zeta import OLD\n")
    alpha = project.load("alpha")
    zeta = project.load("zeta")
    project.edit("zeta", "OLD = 1", "OLD = 1\nNEW = 2")
    project.write("alpha", "from {p}zeta import OLD, NEW\n")
    report = qtreload.check()
    assert report.ok, report.failures[0].message
    assert alpha.NEW == zeta.NEW == 2


def test_an_import_inside_a_function_does_not_order_the_reload(project):
    project.write("zeta", """
        OLD = 1
        def later():
            from {p}alpha import OLD
            return OLD
    """)
    project.write("alpha", "from {p}zeta import OLD\n")
    alpha = project.load("alpha")
    project.load("zeta")
    project.edit("zeta", "OLD = 1", "OLD = 1\nNEW = 2")
    project.write("alpha", "from {p}zeta import OLD, NEW\n")
    report = qtreload.check()
    assert report.ok, report.failures[0].message
    assert alpha.NEW == 2


def test_a_real_import_cycle_reloads_in_the_order_a_restart_runs_it(project):
    """zeta binds a name, then imports alpha, which uses it: zeta must start first."""
    project.write("zeta", "X = 1\nimport {p}alpha\nY = {p}alpha.TWICE\n")
    project.write("alpha", "from {p}zeta import X\nTWICE = X * 2\n")
    zeta = project.load("zeta")
    alpha = project.load("alpha")
    project.write("zeta", "X = 1\nNEW = 5\nimport {p}alpha\nY = {p}alpha.TWICE\n")
    project.write("alpha", "from {p}zeta import X, NEW\nTWICE = (X + NEW) * 2\n")
    report = qtreload.check()
    assert report.ok, report.failures[0].message
    assert zeta.Y == alpha.TWICE == 12
    assert report.reloaded == (alpha.__name__, zeta.__name__)  # as they finished


def test_a_package_that_imports_its_submodules_reloads_as_a_restart_does(project):
    """``from . import a`` in a submodule: a package cycle; each runs when asked for."""
    project.write("pkg.__init__", "from .b import USES\n")
    project.write("pkg.b", "from . import a\nUSES = a.X\n")
    project.write("pkg.a", "X = 1\n")
    pkg = project.load("pkg")
    project.write("pkg.__init__", "from .b import USES, MORE\n")
    project.write("pkg.b", "from . import a\nUSES = a.X\nMORE = a.EXTRA\n")
    project.write("pkg.a", "X = 1\nEXTRA = 10\n")
    report = qtreload.check()
    assert report.ok, report.failures[0].message
    assert (pkg.USES, pkg.MORE) == (1, 10)


SLOTTED = """
    class Checker:
        __slots__ = ("kinds", "__weakref__")  # the layout attrs gives slotted classes
        def __init__(self, kinds):
            object.__setattr__(self, "kinds", kinds)
        def __setattr__(self, name, value):
            raise AttributeError("frozen")
        def check(self, kind):
            return kind in self.kinds

    DEFAULT = Checker(("int", "str"))

    class Validator:
        CHECKER = DEFAULT

    VERSION = 1
"""


def test_a_slotted_instance_python_cannot_retype_becomes_a_twin_of_the_live_class(project):
    project.write("slotted", SLOTTED)
    slotted = project.load("slotted")
    Checker = slotted.Checker
    project.write("slotted", SLOTTED.replace("VERSION = 1", "VERSION = 2")
                  .replace('("int", "str")', '("int", "str", "list")'))
    report = qtreload.check()
    assert report.ok, report.failures[0].message
    assert slotted.Checker is Checker and type(slotted.DEFAULT) is Checker
    assert slotted.Validator.CHECKER is slotted.DEFAULT
    assert slotted.DEFAULT.check("list") and slotted.VERSION == 2
