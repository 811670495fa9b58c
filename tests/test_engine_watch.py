"""The watch list: which imported modules qtreload watches, and how to change it."""
from __future__ import annotations

import importlib.util
import json
import sys

import blinker
import pytest
from engine_helpers import assert_ran, run_python

import qtreload
from qtreload import reloader


@pytest.fixture
def restore_config():
    """Put the global reloader's watch configuration back after the test."""
    config = reloader.config
    saved = (list(config.roots), list(config.include), list(config.exclude))
    yield
    qtreload.configure(roots=saved[0], include=saved[1], exclude=saved[2])


def test_stdlib_site_packages_and_qtreload_are_not_watched(project):
    project.write("mine", "X = 1\n")
    project.load("mine")
    watched = reloader.watched()
    assert project.name("mine") in watched
    assert json.__name__ in sys.modules and "json" not in watched
    assert "os" not in watched and "logging" not in watched
    assert blinker.__file__ and "blinker" not in watched
    assert not [name for name in watched if name == "qtreload" or name.startswith("qtreload.")]
    assert "__main__" not in watched


def test_main_script_is_not_watched(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import qtreload, sys\n"
        "VALUE = 'v1'\n"
        "if __name__ == '__main__':\n"
        "    assert '__main__' not in qtreload.reloader.watched()\n"
        "    open(sys.argv[0], 'w').write(open(sys.argv[0]).read().replace(\"'v1'\", \"'v2'\"))\n"
        "    assert not qtreload.check()\n"
        "    print(VALUE)\n"
    )
    result = run_python(f"import runpy, sys; sys.argv = [{str(script)!r}]; "
                        f"runpy.run_path({str(script)!r}, run_name='__main__')", tmp_path)
    assert assert_ran(result).split() == ["v1"]


def test_module_imported_after_start_is_watched_from_then_on(project):
    assert reloader.enabled
    project.write("late", "def f():\n    return 'late v1'\n")
    assert project.name("late") not in reloader.watched()
    late = project.load("late")
    assert project.name("late") in reloader.watched()
    project.edit("late", "late v1", "late v2")
    assert qtreload.check().reloaded == (project.name("late"),)
    assert late.f() == "late v2"


def test_module_put_into_sys_modules_by_a_plugin_loader_is_watched(project):
    """``module_from_spec`` + ``sys.modules[name] = m``: no import the spy sees."""
    path = project.write("plugin", "def f():\n    return 'plugin v1'\n")
    project.write("other", "X = 1\n")
    spec = importlib.util.spec_from_file_location(project.name("plugin"), path)
    plugin = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = plugin
    spec.loader.exec_module(plugin)
    project.load("other")  # any later import: the next check looks at what is new
    qtreload.check()
    project.edit("plugin", "plugin v1", "plugin v2")
    assert qtreload.check().reloaded == (project.name("plugin"),)
    assert plugin.f() == "plugin v2"


def test_opted_out_module_is_not_watched(project):
    project.write("optout", "__qtreload__ = False\n\ndef f():\n    return 'v1'\n")
    optout = project.load("optout")
    assert project.name("optout") not in reloader.watched()
    project.edit("optout", "'v1'", "'v2'")
    assert not qtreload.check()
    assert optout.f() == "v1"
    with pytest.raises(ValueError, match="not a watched module"):
        qtreload.reload(optout)


def write_pair(project) -> None:
    for short in ("inside.__init__", "inside.mod", "outside.__init__", "outside.mod"):
        project.write(short, "def f():\n    return 'v1'\n")


def edit_pair(project) -> list:
    modules = [project.load(short) for short in ("inside.mod", "outside.mod")]
    for short in ("inside.mod", "outside.mod"):
        project.edit(short, "'v1'", "'v2'")
    return modules


def test_configure_roots(project, restore_config):
    write_pair(project)
    qtreload.configure(roots=[project.root / project.name("inside")])
    inside, outside = edit_pair(project)
    watched = reloader.watched()
    assert project.name("inside.mod") in watched and project.name("outside.mod") not in watched
    assert set(qtreload.check().reloaded) == {project.name("inside.mod")}
    assert (inside.f(), outside.f()) == ("v2", "v1")


def test_configure_include_and_exclude(project, restore_config):
    write_pair(project)
    qtreload.configure(include=[project.name("*")], exclude=[project.name("outside*")])
    inside, outside = edit_pair(project)
    watched = reloader.watched()
    assert project.name("inside.mod") in watched and project.name("outside.mod") not in watched
    assert not [name for name in watched if not name.startswith(project.prefix)]
    assert set(qtreload.check().reloaded) == {project.name("inside.mod")}
    assert (inside.f(), outside.f()) == ("v2", "v1")


def test_reconfiguring_back_watches_again(project, restore_config):
    write_pair(project)
    qtreload.configure(exclude=[project.name("outside*")])
    inside, outside = edit_pair(project)
    assert qtreload.check().reloaded == (project.name("inside.mod"),)
    qtreload.configure(exclude=[])
    project.edit("outside.mod", "'v2'", "'v3'")
    assert qtreload.check().reloaded == (project.name("outside.mod"),)
    assert outside.f() == "v3"


def test_configure_keeps_an_unchecked_save(project, restore_config):
    project.write("kept", "def f():\n    return 'v1'\n")
    kept = project.load("kept")
    reloader.watched()
    project.edit("kept", "'v1'", "'v2'")
    qtreload.configure(exclude=[project.name("unrelated")])  # must not forget the save
    assert qtreload.check().reloaded == (project.name("kept"),)
    assert kept.f() == "v2"


def test_configure_keeps_live_closures_tracked(project, restore_config):
    project.write("closures", """
        def make():
            return lambda: "lambda v1"
        HELD = []
    """)
    closures = project.load("closures")
    held = closures.make()
    reloader.watched()
    qtreload.configure(exclude=[project.name("unrelated")])
    project.edit("closures", "lambda v1", "lambda v2")
    assert qtreload.check().ok
    assert held() == "lambda v2"


def test_module_removed_from_sys_modules_is_forgotten(project):
    project.write("gone", "def f():\n    return 'v1'\n")
    gone = project.load("gone")
    qtreload.check()
    del sys.modules[gone.__name__]  # no import follows: the check must notice by itself
    project.edit("gone", "'v1'", "'v2'")
    report = qtreload.check()
    assert report.ok and gone.__name__ not in report.reloaded
    assert gone.f() == "v1"
    assert gone.__name__ not in reloader.watched()


def test_reimported_module_is_watched_afresh(project):
    project.write("again", "def make():\n    return lambda: 'v1'\n")
    first = project.load("again")
    reloader.watched()
    del sys.modules[first.__name__]
    project.edit("again", "'v1'", "'v2'")
    second = project.load("again")
    held = second.make()
    assert held() == "v2"
    assert not qtreload.check()  # the new module already runs what is on disk
    project.edit("again", "'v2'", "'v3'")
    assert qtreload.check().reloaded == (second.__name__,)
    assert held() == "v3"


def test_a_module_with_a_relative_file_name_is_not_watched(tmp_path):
    """shiboken6 (PySide6) loads its support modules from memory with names such as
    ``shibokensupport/feature.py``: no file to watch (watched, every check polled)."""
    import types

    from qtreload._watch import WatchConfig

    embedded = types.ModuleType("shibokensupport.feature")
    embedded.__file__ = "shibokensupport/feature.py"
    real = types.ModuleType("real_module")
    real.__file__ = str(tmp_path / "real_module.py")
    config = WatchConfig()
    assert config.source_path(embedded.__name__, embedded) is None
    assert config.source_path(real.__name__, real) == str((tmp_path / "real_module.py").resolve())


def test_paths_resolve_as_realpath_with_each_folder_resolved_once_per_sync(tmp_path):
    """A start resolves hundreds of module paths: each folder is resolved once between
    two syncs of the watch list, the file itself always. The result is realpath's;
    a folder link retargeted is followed from the next sync on."""
    import os

    from qtreload import _watch

    real, other = tmp_path / "real", tmp_path / "other"
    for folder in (real, other):
        folder.mkdir()
        (folder / "mod.py").write_text("X = 1\n")
    (real / "target.py").write_text("X = 2\n")
    (real / "linked.py").symlink_to(real / "target.py")
    folder_link = tmp_path / "link"
    folder_link.symlink_to(real)
    paths = [real / "mod.py", real / "linked.py", folder_link / "mod.py",
             folder_link / "linked.py", tmp_path / "link" / ".." / "real" / "mod.py"]
    for path in paths:
        assert _watch.real_path(str(path)) == os.path.realpath(path), path
    folder_link.unlink()
    folder_link.symlink_to(other)  # retargeted: the folder was resolved before
    watchlist = _watch.WatchList()
    watchlist.sync(set())  # a check: folders are resolved anew after it
    assert _watch.real_path(str(folder_link / "mod.py")) == str(other / "mod.py")
