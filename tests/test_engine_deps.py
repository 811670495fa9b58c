"""Dependencies: edited modules reload dependencies first, and dependents see the new code."""
from __future__ import annotations

import pytest

import qtreload

STATE = "RUNS = []\n"

SCRIPT1 = """
    import {p}mod2
    from {p}state import RUNS
    RUNS.append("script1")
    LABEL = "script1 version 1"  # a module-level edit: each save re-runs the module

    def main():
        print("script1 version 1")
        return ["script1 version 1"] + {p}mod2.func2()
"""

MOD2 = {
    "import": """
        import {p}mod3
        from {p}state import RUNS
        RUNS.append("mod2")
        LABEL = "mod2 version 1"

        def func2():
            print("mod2 version 1")
            return ["mod2 version 1"] + {p}mod3.func3()
    """,
    "from": """
        from {p}mod3 import func3
        from {p}state import RUNS
        RUNS.append("mod2")
        LABEL = "mod2 version 1"

        def func2():
            print("mod2 version 1")
            return ["mod2 version 1"] + func3()
    """,
}

MOD3 = """
    from {p}state import RUNS
    RUNS.append("mod3")
    LABEL = "mod3 version 1"

    def func3():
        print("mod3 version 1")
        return ["mod3 version 1"]
"""


@pytest.fixture(params=["import", "from"])
def chain(request, project):
    """script1 -> mod2 -> mod3, with ``mod2`` importing ``mod3`` in either form."""
    project.write("state", STATE)
    project.write("mod3", MOD3)
    project.write("mod2", MOD2[request.param])
    project.write("script1", SCRIPT1)
    return project


@pytest.mark.parametrize("version", [2, 3])
def test_chain_of_three_edited_modules_all_run_the_new_version(chain, capsys, version):
    script1 = chain.load("script1")
    assert script1.main() == ["script1 version 1", "mod2 version 1", "mod3 version 1"]
    for v in range(2, version + 1):
        for short in ("script1", "mod2", "mod3"):
            chain.edit(short, f"version {v - 1}", f"version {v}")
        report = qtreload.check()
        assert report.ok and set(report.reloaded) == {chain.name(s)
                                                      for s in ("script1", "mod2", "mod3")}
    capsys.readouterr()
    expected = [f"{s} version {version}" for s in ("script1", "mod2", "mod3")]
    assert script1.main() == expected
    assert capsys.readouterr().out.splitlines() == expected


def test_reload_order_is_dependencies_first(chain):
    chain.load("script1")
    state = chain.load("state")
    state.RUNS.clear()
    for short in ("script1", "mod3", "mod2"):
        chain.edit(short, "version 1", "version 2")
    report = qtreload.check()
    order = [chain.name("mod3"), chain.name("mod2"), chain.name("script1")]
    assert list(report.reloaded) == order
    assert state.RUNS == ["mod3", "mod2", "script1"]


def test_only_the_edited_dependency_reruns(chain):
    script1 = chain.load("script1")
    state = chain.load("state")
    state.RUNS.clear()
    chain.edit("mod3", "version 1", "version 2")
    report = qtreload.check()
    assert report.reloaded == (chain.name("mod3"),)
    assert state.RUNS == ["mod3"]
    assert script1.main() == ["script1 version 1", "mod2 version 1", "mod3 version 2"]


def test_order_follows_imports_not_names(project):
    project.write("z_base", "def base():\n    return 'base v1'\n")
    project.write("a_top", """
        from {p}z_base import base
        def top():
            return 'top v1 ' + base()
    """)
    top = project.load("a_top")
    project.edit("a_top", "top v1", "top v2")
    project.edit("z_base", "base v1", "base v2")
    report = qtreload.check()
    assert report.reloaded == (project.name("z_base"), project.name("a_top"))
    assert top.top() == "top v2 base v2"


def test_instance_made_before_the_edit_runs_the_new_method(project):
    project.write("mod4", """
        class MyRect:
            def __init__(self, width, height):
                self.width, self.height = width, height

            def getSizes(self):
                return "%d x %d" % (self.width, self.height)
    """)
    mod4 = project.load("mod4")
    rect = mod4.MyRect(3, 4)
    assert rect.getSizes() == "3 x 4"
    project.edit("mod4", 'return "%d x %d" % (self.width, self.height)',
                 'return "width=%d, height=%d" % (self.width, self.height)')
    assert qtreload.check().reloaded == (project.name("mod4"),)
    assert rect.getSizes() == "width=3, height=4"
    assert type(rect) is mod4.MyRect
    assert isinstance(rect, mod4.MyRect)


def test_package_with_relative_imports_and_edited_init(project):
    project.write("pkg.__init__", """
        from .core import VALUE, Thing
        from . import util
        GREETING = "hello v1"

        def describe():
            return f"{GREETING} {VALUE} {util.double()} {Thing().kind()}"
    """)
    project.write("pkg.core", """
        VALUE = 1

        class Thing:
            def kind(self):
                return "thing v1"
    """)
    project.write("pkg.util", """
        from .core import VALUE

        def double():
            return VALUE * 2
    """)
    pkg = project.load("pkg")
    util = project.load("pkg.util")
    thing = pkg.Thing()
    assert pkg.describe() == "hello v1 1 2 thing v1"
    project.edit("pkg.__init__", "hello v1", "hello v2")
    project.edit("pkg.core", "VALUE = 1", "VALUE = 5")
    project.edit("pkg.core", "thing v1", "thing v2")
    report = qtreload.check()
    assert report.reloaded == (project.name("pkg.core"), project.name("pkg"))
    assert pkg.describe() == "hello v2 5 10 thing v2"
    assert pkg.util is util and util.VALUE == 5
    assert thing.kind() == "thing v2" and type(thing) is pkg.Thing is pkg.core.Thing


CYCLE_A = """
    import {p}cyc_b
    NAME = "A1"

    def fa():
        return "fa1 " + {p}cyc_b.NAME
"""
CYCLE_B = """
    import {p}cyc_a
    NAME = "B1"

    def fb():
        return "fb1 " + {p}cyc_a.NAME
"""


def test_import_cycle_reloads_in_a_deterministic_order(project):
    project.write("cyc_a", CYCLE_A)
    project.write("cyc_b", CYCLE_B)
    a, b = project.load("cyc_a"), project.load("cyc_b")
    for n in (2, 3, 4):
        # Edit in alternating orders: the reload order must not depend on it.
        shorts = ("cyc_a", "cyc_b") if n % 2 else ("cyc_b", "cyc_a")
        for short in shorts:
            letter = short[-1]
            project.edit(short, f'"f{letter}{n - 1} "', f'"f{letter}{n} "')
            project.edit(short, f'"{letter.upper()}{n - 1}"', f'"{letter.upper()}{n}"')
        report = qtreload.check()
        # As a restart runs them: cyc_a (imported first) starts, its import of
        # cyc_b runs cyc_b, which finishes first.
        assert report.reloaded == (project.name("cyc_b"), project.name("cyc_a"))
        assert (a.fa(), b.fb()) == (f"fa{n} B{n}", f"fb{n} A{n}")


def test_from_import_of_a_constant_is_rebound_without_rerunning_the_dependent(project):
    project.write("state", STATE)
    project.write("config", """
        LIMIT = 10
        OPTIONS = {"mode": "a"}
        NAME = "first"
    """)
    project.write("user", """
        from {p}config import LIMIT, OPTIONS, NAME as LABEL
        from {p}state import RUNS
        RUNS.append("user")

        def limit():
            return LIMIT

        def options():
            return OPTIONS

        def label():
            return LABEL
    """)
    config, user, state = project.load("config"), project.load("user"), project.load("state")
    project.edit("config", "LIMIT = 10", "LIMIT = 20")
    project.edit("config", '{"mode": "a"}', '{"mode": "b"}')
    project.edit("config", '"first"', '"second"')
    report = qtreload.check()
    assert report.reloaded == (project.name("config"),)
    assert state.RUNS == ["user"]  # the dependent did not re-run
    assert user.limit() == 20 and user.LIMIT == 20
    assert user.options() == {"mode": "b"} and user.OPTIONS is config.OPTIONS
    assert user.label() == "second"


def test_from_import_rebound_by_hand_is_left_alone(project):
    project.write("config", "LIMIT = 10\n")
    project.write("user", "from {p}config import LIMIT\n")
    user = project.load("user")
    user.LIMIT = 99  # the app changed its own binding: not qtreload's to overwrite
    project.edit("config", "LIMIT = 10", "LIMIT = 20")
    assert qtreload.check().ok
    assert user.LIMIT == 99


def test_star_import_is_rebound_too(project):
    project.write("consts", "LIMIT = 10\n_PRIVATE = 1\n\ndef helper():\n    return 'helper v1'\n")
    project.write("starry", "from {p}consts import *\n\ndef limit():\n    return LIMIT\n")
    consts, starry = project.load("consts"), project.load("starry")
    helper = consts.helper
    project.edit("consts", "LIMIT = 10", "LIMIT = 20")
    project.edit("consts", "helper v1", "helper v2")
    assert qtreload.check().reloaded == (consts.__name__,)
    assert starry.limit() == 20 and starry.helper is helper and starry.helper() == "helper v2"
    assert not hasattr(starry, "_PRIVATE")


def test_name_removed_from_a_module_stays_in_its_importers(project):
    project.write("config", "LIMIT = 10\nOTHER = 1\n")
    project.write("user", "from {p}config import LIMIT\n\ndef limit():\n    return LIMIT\n")
    config, user = project.load("config"), project.load("user")
    project.edit("config", "LIMIT = 10\n", "")
    assert qtreload.check().reloaded == (config.__name__,)
    assert not hasattr(config, "LIMIT")
    assert user.limit() == 10  # not None: the dependent keeps what it imported


def _real_sources():
    """Every module of the real release histories the replay test saves, and qtreload's own."""
    import tarfile
    from pathlib import Path

    data = Path(__file__).parent / "data" / "replay"
    for archive in sorted(data.glob("*.tar.xz")):
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if member.name.endswith(".py"):
                    yield member.name, tar.extractfile(member).read()
    for path in sorted((Path(__file__).parent.parent / "qtreload").glob("*.py")):
        yield path.name, path.read_bytes()


def test_imports_read_statement_by_statement_are_those_of_the_whole_source():
    """A save reads the imports of the statements it changed only: kept by statement
    text, they add up to what reading the whole source finds, on real code."""
    from qtreload._compiler import compile_module
    from qtreload._imports import StatementImports, scan_imports

    checked = 0
    for name, source in _real_sources():
        package = name.endswith("__init__.py")
        module = name.rpartition("/")[0].replace("/", ".") if package else "pkg.mod"
        texts = [s.key for s in compile_module(source, name)[1].statements]
        whole = scan_imports(source, module, package)
        scans = StatementImports()
        first = scans.scan(texts, module, package)
        again = scans.scan(texts[1:] + texts[:1], module, package)  # all known by now
        for found in (first, again):
            assert found.modules == whole.modules, name
            assert set(found.names) == set(whole.names), name
        checked += 1
    assert checked > 40
