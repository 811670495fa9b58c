"""Failure classes found by replaying real release histories, each as a small real scenario.

Every test here failed before its fix (see ``tests/test_replay.py`` for the replay itself).
"""
from __future__ import annotations

import inspect
import logging
import sys

import pytest

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


# -- 5. star imports ------------------------------------------------------------------

def test_a_star_import_follows_the_names_exported_now(project):
    """``from .impl import *`` in a package: added names arrive, removed ones go."""
    project.write("pkg.__init__", "from .impl import *\nfrom .plain import *\n")
    project.write("pkg.impl", """
        __all__ = ["kept", "dropped"]
        def kept(): return "kept v1"
        def dropped(): return "dropped"
        def later(): return "later"
    """)
    project.write("pkg.plain", "def one(): return 1\n")
    pkg = project.load("pkg")
    kept = pkg.kept
    project.write("pkg.impl", """
        __all__ = ["kept", "later", "added"]
        def kept(): return "kept v2"
        def dropped(): return "dropped"
        def later(): return "later"
        def added(): return "added"
    """)
    project.write("pkg.plain", "def one(): return 1\ndef two(): return 2\n")
    report = qtreload.check()
    assert report.ok, report.failures[0].message
    assert pkg.kept is kept and kept() == "kept v2"
    assert (pkg.later(), pkg.added(), pkg.two()) == ("later", "added", 2)
    assert not hasattr(pkg, "dropped")


# -- 3. held-back saves: retried when what they lacked arrives; the report says why --------

def test_a_save_needing_a_broken_module_is_retried_when_that_module_is_fixed(project):
    project.write("lib", "VALUE = 1\n")
    project.write("user", "from {p}lib import VALUE\n")
    lib, user = project.load("lib"), project.load("user")
    project.write("lib", "VALUE = 1\nNEW = 2\n1 / 0\n")
    assert not qtreload.check().ok
    project.write("user", "from {p}lib import VALUE, NEW\n")  # needs lib's broken save
    report = qtreload.check()
    assert [f.module for f in report.failures] == [user.__name__]
    assert "waiting for its next save" in report.waiting[user.__name__]
    project.write("lib", "VALUE = 1\nNEW = 2\n")  # fixed: user goes ahead without a save
    report = qtreload.check()
    assert report.ok and set(report.reloaded) == {lib.__name__, user.__name__}
    assert user.NEW == 2 and not report.waiting


def _save_needing_pkg_helper(project):
    """``pkg.user`` loaded, then saved importing ``pkg.helper``, which does not exist yet:
    that reload fails. The module and the failed check's report."""
    project.write("pkg.__init__", "")
    project.write("pkg.user", "X = 1\n")
    user = project.load("pkg.user")
    project.write("pkg.user", "from . import helper\nX = helper.VALUE\n")
    report = qtreload.check()
    assert [f.module for f in report.failures] == [user.__name__]
    return user, report


def test_a_save_needing_a_new_module_is_retried_when_that_module_appears(project):
    user, _ = _save_needing_pkg_helper(project)
    project.write("pkg.helper", "VALUE = 5\n")
    project.load("pkg.helper")  # imported by other code (the app), not saved again
    report = qtreload.check()
    assert report.ok and report.reloaded == (user.__name__,) and user.X == 5


def test_a_save_needing_a_missing_module_is_retried_when_its_file_is_created(project):
    """Nothing else imports the new module: its file appearing is what retries the save."""
    user, report = _save_needing_pkg_helper(project)
    assert "waiting" in report.waiting[user.__name__]
    assert not qtreload.check()  # nothing new: not tried again
    project.write("pkg.helper", "VALUE = 5\n")
    report = qtreload.check()
    assert report.ok and report.reloaded == (user.__name__,) and user.X == 5
    assert not report.waiting


def test_a_save_needing_a_missing_top_level_module_is_retried_when_it_is_created(project):
    project.write("main", "X = 1\n")
    main = project.load("main")
    project.write("main", "import {p}helper\nX = {p}helper.VALUE\n")
    assert not qtreload.check().ok
    project.write("helper", "VALUE = 7\n")
    report = qtreload.check()
    assert report.ok and report.reloaded == (main.__name__,) and main.X == 7


def test_the_report_says_which_path_each_module_took(project):
    project.write("paths", "DATA = []\n\ndef f():\n    return 1\n")
    paths = project.load("paths")
    project.edit("paths", "return 1", "return 2")
    report = qtreload.check()
    assert report.paths == {paths.__name__: qtreload.FAST_PATH}
    project.edit("paths", "DATA = []", "DATA = [1]")
    assert qtreload.check().paths == {paths.__name__: qtreload.FULL_RUN}


def test_a_submodule_importing_a_sibling_does_not_rerun_its_package_half_way(project):
    """``from .recipes import x`` in ``pkg.more`` does not run ``pkg`` (it is imported
    already): ``pkg``'s ``from .more import *`` then sees the whole new ``pkg.more``."""
    project.write("pkg.__init__", "from .more import *\nVERSION = 1\n")
    project.write("pkg.more", "from .recipes import helper\n__all__ = ['one']\n"
                              "def one():\n    return helper()\n")
    project.write("pkg.recipes", "def helper():\n    return 1\n")
    pkg = project.load("pkg")
    project.write("pkg.__init__", "from .more import *\nVERSION = 2\n")
    project.write("pkg.more", "from .recipes import helper\n__all__ = ['one', 'two']\n"
                              "def one():\n    return helper()\ndef two():\n    return 2\n")
    project.write("pkg.recipes", "def helper():\n    return 10\n")
    report = qtreload.check()
    assert report.ok, report.failures[0].message
    assert (pkg.VERSION, pkg.one(), pkg.two()) == (2, 10, 2)
    assert not hasattr(pkg, "helper")


def test_a_class_attribute_set_to_none_and_removed_by_a_save_is_gone(project):
    """Seen in marshmallow 3.24: ``parent = None`` removed from a base class."""
    source = "class Base:\n    parent = None\n    label = 'x'\n\ndef f():\n    return 1\n"
    project.write("nones", source)
    nones = project.load("nones")
    project.write("nones", source.replace("    parent = None\n", ""))
    assert qtreload.check().ok
    assert not hasattr(nones.Base, "parent") and nones.Base.label == "x"


def test_from_dot_import_in_a_submodule_does_not_rerun_its_package_half_way(project):
    """Seen in attrs: ``from . import _compat`` in ``attr._make`` must not run ``attr``
    (a restart started it long before), even when ``attr`` is also changed, and a
    module imported late (last in sys.modules) is in the cycle."""
    project.write("pkg.__init__", "from . import conv\nfrom .core import THING\n")
    project.write("pkg.core", "from . import helper\nfrom . import late\nTHING = helper.X\n")
    project.write("pkg.helper", "X = 1\n")
    project.write("pkg.conv", "from .core import THING\nCONV = THING\n")
    project.write("pkg.late", "Y = 1\n")
    pkg = project.load("pkg")
    project.write("pkg.late", "from .core import THING\nY = 2\n")
    project.write("pkg.__init__", "from . import conv\nfrom .core import THING, NEW\n")
    project.write("pkg.core", "from . import helper\nfrom . import late\nTHING = helper.X\n"
                              "NEW = 3\n")
    project.write("pkg.conv", "from .core import THING, NEW\nCONV = THING + NEW\n")
    report = qtreload.check()
    assert report.ok, report.failures[0].message
    assert (pkg.NEW, pkg.conv.CONV, pkg.late.Y) == (3, 4, 2)


# -- 4. a restart-needed class names the live classes, never this run's copies ------------

def test_a_restart_needed_class_points_at_the_live_neighbours(project):
    source = """
        class Context:
            def who(self):
                return "context v1"

        class App:
            __slots__ = ("a",)
            context_class = Context
    """
    project.write("neighbours", source)
    mod = project.load("neighbours")
    Context = mod.Context
    project.write("neighbours", source.replace('("a",)', '("a", "b")'))  # restart needed
    report = qtreload.check()
    assert report.ok and any(w.restart_needed for w in report.warnings)
    assert mod.Context is Context and mod.App.context_class is Context
    project.write("neighbours", source.replace('("a",)', '("a", "b")')
                  .replace("context v1", "context v2"))
    assert qtreload.check().ok
    assert mod.Context is Context and mod.App.context_class is Context
    assert Context().who() == "context v2"


# -- 6. modules another finder loads ----------------------------------------------------

def test_a_module_an_editable_install_finder_loads_is_compiled_by_qtreload(project, tmp_path):
    """An edit made before the first check is not lost; its first edit takes the fast path."""
    import importlib.util
    import sys

    elsewhere = tmp_path / "src"
    elsewhere.mkdir()
    path = elsewhere / "edited.py"
    path.write_text("DATA = []\n\ndef version():\n    return 'v1'\n")
    name = project.name("edited")

    class EditableFinder:  # as setuptools' editable installs add to sys.meta_path
        @staticmethod
        def find_spec(fullname, path_=None, target=None):
            return importlib.util.spec_from_file_location(fullname, path) if fullname == name \
                else None

    sys.meta_path.append(EditableFinder)
    try:
        module = importlib.import_module(name)
    finally:
        sys.meta_path.remove(EditableFinder)
    version = module.version
    path.write_text("DATA = []\n\ndef version():\n    return 'v2'\n")  # before any check
    report = qtreload.check()
    assert report.reloaded == (name,) and report.paths == {name: qtreload.FAST_PATH}
    assert module.version is version and version() == "v2"


def test_a_module_loaded_by_hand_is_compiled_by_qtreload_from_its_first_run(project):
    """``spec_from_file_location`` + ``exec_module``, as plugin loaders do: an edit made
    before the first check is seen, the first edit takes the fast path, and a live lambda
    made by the module's code runs the new code."""
    import importlib.util
    import sys

    path = project.write("plugin", "DATA = []\n\ndef version():\n    return 'v1'\n\n"
                                   "def make():\n    return lambda: 'lambda v1'\n")
    name = project.name("plugin")
    spec = importlib.util.spec_from_file_location(name, path)
    plugin = importlib.util.module_from_spec(spec)
    sys.modules[name] = plugin
    spec.loader.exec_module(plugin)
    version, callback, data = plugin.version, plugin.make(), plugin.DATA
    path.write_text(path.read_text().replace("'v1'", "'v2'").replace("lambda v1", "lambda v2"))
    report = qtreload.check()  # the first check after the import
    assert report.reloaded == (name,) and report.paths == {name: qtreload.FAST_PATH}
    assert plugin.version is version and version() == "v2"
    assert callback() == "lambda v2" and plugin.DATA is data


def test_a_file_run_by_hand_under_a_watched_module_name_leaves_that_module_alone(project):
    """A config file executed into a throw-away module under the name of a module just
    imported (no check between them)."""
    import importlib.util

    project.write("settings", "def f():\n    return 'v1'\n")
    settings = project.load("settings")
    other = project.write("elsewhere", "X = 1\n")
    spec = importlib.util.spec_from_file_location(settings.__name__, other)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))  # not in sys.modules
    project.edit("settings", "'v1'", "'v2'")
    report = qtreload.check()
    assert report.paths == {settings.__name__: qtreload.FAST_PATH} and settings.f() == "v2"


# -- 7. smaller ones ----------------------------------------------------------------------

def test_an_edit_made_while_a_module_was_excluded_is_seen_when_it_is_included_again(project):
    project.write("excluded", "def f():\n    return 'v1'\n")
    excluded = project.load("excluded")
    f = excluded.f
    qtreload.check()
    try:
        qtreload.configure(exclude=[excluded.__name__])
        project.write("excluded", "def f():\n    return 'v2'\n")
        assert not qtreload.check().reloaded
        qtreload.configure(exclude=[])
        assert qtreload.check().reloaded == (excluded.__name__,)
        assert excluded.f is f and f() == "v2"
    finally:
        qtreload.configure(exclude=[])


def test_opting_out_by_an_edit_stops_the_watching(project):
    project.write("optout", "X = 1\n")
    optout = project.load("optout")
    project.write("optout", "__qtreload__ = False\nX = 2\n")
    assert qtreload.check().reloaded == (optout.__name__,)
    assert optout.__name__ not in qtreload.reloader.watched()
    project.write("optout", "__qtreload__ = False\nX = 3\n")
    assert not qtreload.check().reloaded and optout.X == 2


SELF_REPLACING = """
    import sys

    def version():
        return "v1"

    class CallableModule:
        \"\"\"A module that can be called (what a package's lazy loader also looks like).\"\"\"

        def __init__(self, module):
            self.module = module

        def __call__(self):
            return version()

        def __getattr__(self, name):
            return getattr(self.module, name)

    sys.modules[__name__] = CallableModule(sys.modules[__name__])
"""


def test_a_module_that_replaces_itself_in_sys_modules_keeps_reloading(project):
    """``sys.modules[__name__] = obj``: its file and namespace are still the ones reloaded."""
    project.write("callmod", SELF_REPLACING)
    replacement = project.load("callmod")
    module, Callable = replacement.module, type(replacement)
    assert replacement() == "v1"
    project.edit("callmod", '"v1"', '"v2"')  # a def-only save: the replacement stays
    report = qtreload.check()
    assert report.paths == {replacement.module.__name__: qtreload.FAST_PATH}
    assert replacement() == "v2" and sys.modules[module.__name__] is replacement
    project.edit("callmod", '"v2"', '"v3"')
    project.edit("callmod", "import sys\n", "import sys\n\nLEVEL = 3\n")  # a full run
    assert qtreload.check().paths == {module.__name__: qtreload.FULL_RUN}
    # As a restart: the module's code made a new replacement, wrapping the module.
    new = sys.modules[module.__name__]
    assert type(new) is Callable and new is not replacement and new.module is module
    assert new() == "v3" and new.LEVEL == 3
    assert replacement() == "v3"  # the one importers took runs the new code too
    project.edit("callmod", '"v3"', '"v4"')  # still watched after the full run
    assert qtreload.check().reloaded == (module.__name__,) and new() == "v4"
    source = project.path("callmod").read_text()
    project.path("callmod").write_text(source + "raise RuntimeError('broken save')\n")
    assert not qtreload.check().ok  # rolled back: the replacement of before is back
    assert sys.modules[module.__name__] is new and new() == "v4"
    project.path("callmod").write_text(source.replace('"v4"', '"v5"'))
    assert qtreload.check().ok and sys.modules[module.__name__]() == "v5"


def _retarget(link, target) -> None:
    """Point the symbolic link ``link`` at ``target`` in one step, as ``ln -sfn`` does."""
    import os

    temporary = f"{link}.new"
    os.symlink(target, temporary)
    os.replace(temporary, link)


def test_a_symlinked_module_retargeted_to_another_file_reloads(project, tmp_path):
    name = project.name("linked")
    for version in ("v1", "v2"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "linked.py").write_text(
            f"def version():\n    return {version!r}\n")
    (tmp_path / f"{name}.py").symlink_to(tmp_path / "v1" / "linked.py")
    linked = project.load("linked")
    version = linked.version
    assert qtreload.check().reloaded == () and version() == "v1"
    _retarget(tmp_path / f"{name}.py", tmp_path / "v2" / "linked.py")
    assert qtreload.check().reloaded == (name,)
    assert linked.version is version and version() == "v2"
    (tmp_path / "v2" / "linked.py").write_text("def version():\n    return 'v3'\n")
    assert qtreload.check().reloaded == (name,) and version() == "v3"  # the new target's edits
    (tmp_path / "v1" / "linked.py").write_text("def version():\n    return 'old'\n")
    assert qtreload.check().reloaded == () and version() == "v3"  # not the old target's


def test_a_symlinked_package_folder_retargeted_reloads_even_by_a_forced_reload(project,
                                                                               tmp_path):
    name = project.name("pkg")
    for version in ("v1", "v2"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "__init__.py").write_text("")
        (tmp_path / version / "mod.py").write_text(f"def version():\n    return {version!r}\n")
    (tmp_path / name).symlink_to(tmp_path / "v1", target_is_directory=True)
    mod = project.load("pkg.mod")
    assert qtreload.check().reloaded == ()
    _retarget(tmp_path / name, tmp_path / "v2")
    # (the package's __init__ is the same file content in both: it has nothing to re-run)
    assert qtreload.check().reloaded == (f"{name}.mod",) and mod.version() == "v2"
    _retarget(tmp_path / name, tmp_path / "v1")
    assert qtreload.reload(mod).reloaded == (f"{name}.mod",) and mod.version() == "v1"


STARTS_USING_SUPER = """
    class Base:
        def greet(self, name="base"):
            return name

    class Child(Base):
        def greet(self, name, /, *more, polite=False, **extra):
            return ("child v1", name, more, polite, extra)

        def tell(self, first, second=2):
            return ("tell v1", first, second)
"""


def test_a_method_that_starts_using_super_is_called_directly_as_the_new_one(project):
    """Its live function forwards to the new version, with the new version's parameters:
    no Qt-style trimming of extra arguments for a direct call, the same TypeError."""
    project.write("starts", STARTS_USING_SUPER)
    starts = project.load("starts")
    child, greet, tell = starts.Child(), starts.Child.greet, starts.Child.tell
    project.edit("starts", '("child v1", name, more, polite, extra)',
                 '("child v2", super().greet(name), more, polite, extra)')
    project.edit("starts", 'def tell(self, first, second=2):\n        return ("tell v1"',
                 'def tell(self, first, second=3):\n        return (super().greet(), "tell v2"')
    assert qtreload.check().ok
    assert starts.Child.greet is greet and starts.Child.tell is tell
    assert child.greet("a", 1, polite=True, x=2) == ("child v2", "a", (1,), True, {"x": 2})
    assert child.tell(1) == ("base", "tell v2", 1, 3)  # the new default
    wrong_calls = [(tell, (child, 1, 2, 3), {}), (tell, (child,), {}),  # before: (1, 2, 3)
                   (tell, (child, 1), {"third": 4}), (greet, (child,), {"name": "a"}),
                   (greet, (), {})]  # ...was trimmed to (1, 2)
    for live, args, kwargs in wrong_calls:
        with pytest.raises(TypeError) as direct:
            live(*args, **kwargs)
        with pytest.raises(TypeError) as fresh:
            live.__wrapped__(*args, **kwargs)
        assert str(direct.value) == str(fresh.value)
    assert inspect.signature(tell) == inspect.signature(tell.__wrapped__)


REGISTRY_BASE = """
    from {p}books import record

    PLUGINS = []
    BY_NAME = {}

    class Plugin:
        def __init_subclass__(cls, **kwargs):
            super().__init_subclass__(**kwargs)
            PLUGINS.append(cls)
            BY_NAME[cls.__name__] = cls

    class Meta(type):
        def __init__(cls, name, bases, namespace):
            super().__init__(name, bases, namespace)
            record(name, cls)

    class Schema(metaclass=Meta):
        pass
"""

BOOKS = """
    _registry = {}

    def record(name, cls):  # as marshmallow's class registry: a list per name
        _registry.setdefault(name, []).append(cls)
        CATALOGUE.add(cls)

    class Catalogue:  # a registry object: its list is an attribute of the instance
        def __init__(self):
            self._classes = []

        def add(self, cls):
            self._classes.append(cls)

    CATALOGUE = Catalogue()
"""

PLUGINS = """
    from {p}base import Plugin, Schema

    SETTING = 1

    class Alpha(Plugin):
        def run(self):
            return "alpha v1"

    class AlphaSchema(Schema):
        def dump(self):
            return "dump v1"
"""


@pytest.mark.parametrize("edit", [("alpha v1", "alpha v2"), ("SETTING = 1", "SETTING = 2")],
                         ids=["fast path", "full run"])
def test_a_registry_a_base_fills_for_its_subclasses_holds_the_live_class_once(project, edit):
    """A base's ``__init_subclass__`` (or its metaclass) registers each class in another
    module: a re-run class must not be added again, nor leave its throw-away copy there."""
    project.write("books", BOOKS)
    project.write("base", REGISTRY_BASE)
    project.write("plugins", PLUGINS)
    base, books, plugins = project.load("base"), project.load("books"), project.load("plugins")
    Alpha, AlphaSchema = plugins.Alpha, plugins.AlphaSchema
    project.edit("plugins", *edit)
    project.edit("plugins", "dump v1", "dump v2")
    assert qtreload.check().reloaded == (plugins.__name__,)
    assert plugins.Alpha is Alpha and plugins.AlphaSchema is AlphaSchema
    assert len(base.PLUGINS) == 1 and base.PLUGINS[0] is Alpha  # once, the live class
    assert list(base.BY_NAME) == ["Alpha"] and base.BY_NAME["Alpha"] is Alpha
    assert [c for cs in books._registry.values() for c in cs] == [base.Schema, AlphaSchema]
    assert books._registry["AlphaSchema"][0] is AlphaSchema
    assert books.CATALOGUE._classes == [base.Schema, AlphaSchema]
    assert books.CATALOGUE._classes[1] is AlphaSchema
    assert AlphaSchema().dump() == "dump v2"


MAKER = """
    VERSION = 1
    MADE = []

    def build(cls):  # as attrs' ``attr.s``: builds at the importer's import
        cls.made_by = VERSION
        MADE.append(cls.__name__)
        return cls
"""

MODELS = """
    from {p}maker import build
    from {p}helpers import Base

    LOADED = []

    @build
    class Model:
        pass

    class Child(Base):  # Base's metaclass, defined beside it, calls maker
        pass
"""

HELPERS = """
    import {p}maker

    class Meta(type):
        def __init__(cls, name, bases, namespace):
            super().__init__(name, bases, namespace)
            if bases:
                {p}maker.build(cls)

    class Base(metaclass=Meta):
        pass
"""

LATER = """
    import {p}maker

    DATA = []

    def later():  # calls maker only when called, never at import
        return {p}maker.build
"""


@pytest.fixture
def rerun_importers():
    qtreload.configure(rerun_importers=True)
    yield
    qtreload.configure(rerun_importers=False)


def _maker_project(project):
    for short, source in (("maker", MAKER), ("helpers", HELPERS), ("models", MODELS),
                          ("later", LATER)):
        project.write(short, source)
    return [project.load(short) for short in ("maker", "helpers", "models", "later")]


def test_importers_that_built_with_a_module_rerun_with_it_when_asked(project, rerun_importers):
    maker, helpers, models, later = _maker_project(project)
    Model, Child, loaded, data = models.Model, models.Child, models.LOADED, later.DATA
    assert maker.MADE == ["Child", "Model"] or maker.MADE == ["Model", "Child"]
    project.edit("maker", "VERSION = 1", "VERSION = 2")  # a full run: MADE starts empty
    report = qtreload.check()
    assert report.ok, report.failures
    # As a restart: what built with maker at import built again, with the new maker.
    assert set(report.reloaded) == {maker.__name__, helpers.__name__, models.__name__}
    assert report.reloaded[0] == maker.__name__
    assert sorted(maker.MADE) == ["Child", "Model"]
    assert models.Model is Model and Model.made_by == 2 and Child.made_by == 2
    assert models.LOADED is not loaded  # the importer's own data started afresh too
    assert later.DATA is data  # never called maker at import: left alone
    project.edit("maker", "cls.made_by = VERSION", "cls.made_by = VERSION * 10")
    assert qtreload.check().reloaded == (maker.__name__,)  # the fast path takes no importer


def test_an_importer_that_fails_to_rerun_fails_the_save_as_a_restart_would(project,
                                                                           rerun_importers):
    maker, helpers, models, _ = _maker_project(project)
    project.edit("maker", "def build(cls):", "def make(cls):")  # models imports build
    project.edit("maker", "VERSION = 1", "VERSION = 2")  # a full run
    report = qtreload.check()
    assert not report.ok and report.failures[0].module == models.__name__
    assert "build" in report.failures[0].message
    assert maker.build and models.Model.made_by == 1  # nothing changed
    assert maker.__name__ in report.waiting
    project.edit("models", "import build", "import make as build")  # the importers follow
    project.edit("helpers", "maker.build(cls)", "maker.make(cls)")
    report = qtreload.check()
    assert report.ok, report.failures
    assert {maker.__name__, models.__name__, helpers.__name__} == set(report.reloaded)
    assert models.Model.made_by == 2 and not report.waiting


def test_importers_are_left_alone_by_default(project):
    maker, _, models, _ = _maker_project(project)
    project.edit("maker", "VERSION = 1", "VERSION = 2")
    assert qtreload.check().reloaded == (maker.__name__,)
    assert maker.MADE == [] and models.Model.made_by == 1  # the README says so


def test_a_method_generated_with_globals_of_its_own_runs_with_its_new_globals(project):
    """Seen in attrs: a generated ``__init__`` whose new code reads a name only its new
    globals hold (``_setattr``) must not run with the old globals."""
    source = """
        def make(value):
            globs = {"helper_v1": lambda: value}
            exec("def get(self):\\n    return helper_v1()\\n", globs)
            return globs["get"]

        class Made:
            get = make("v1")
    """
    project.write("generated", source)
    generated = project.load("generated")
    Made = generated.Made
    project.write("generated", source.replace("helper_v1", "helper_v2").replace('"v1"', '"v2"'))
    assert qtreload.check().ok
    assert generated.Made is Made and Made().get() == "v2"
