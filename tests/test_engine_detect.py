"""Detection: every way an editor saves is seen by the next check; no-op saves re-run nothing."""
from __future__ import annotations

import os

import pytest
from engine_helpers import assert_ran, run_python

import qtreload

WATCHED = """
    from {p}state import RUNS
    RUNS.append("watched")
    LABEL = "v1"  # a module-level edit: each save re-runs the module (no fast path)

    def version():
        return "v1"
"""


@pytest.fixture
def watched(project):
    """A watched module that counts its runs in a module that never reloads."""
    project.write("state", "RUNS = []\n")
    project.write("watched", WATCHED)
    module = project.load("watched")
    runs = project.load("state").RUNS
    qtreload.check()
    return project, module, runs


def save_in_place(project, text: str) -> None:
    project.path("watched").write_text(text)


def save_by_rename(project, text: str) -> None:
    path = project.path("watched")
    temp = path.with_name(path.name + ".tmp~")
    temp.write_text(text)
    os.replace(temp, path)


def save_by_delete_and_create(project, text: str) -> None:
    path = project.path("watched")
    os.remove(path)
    path.write_text(text)


SAVES = {"in_place": save_in_place, "rename": save_by_rename,
         "delete_create": save_by_delete_and_create}


@pytest.mark.parametrize("save", list(SAVES))
def test_each_save_pattern_is_seen_and_the_file_stays_watched(watched, save):
    project, module, runs = watched
    text = project.path("watched").read_text()
    SAVES[save](project, text.replace('"v1"', '"v2"'))
    assert qtreload.check().reloaded == (module.__name__,)
    assert module.version() == "v2"
    # The next save, in place, is still seen: the rename did not drop the watch.
    save_in_place(project, text.replace('"v1"', '"v3"'))
    assert qtreload.check().reloaded == (module.__name__,)
    assert module.version() == "v3"
    assert runs == ["watched"] * 3


def test_deleted_file_keeps_the_last_good_code_until_it_comes_back(watched, caplog):
    project, module, runs = watched
    path = project.path("watched")
    text = path.read_text()
    os.remove(path)
    assert not qtreload.check().failures
    assert module.version() == "v1"
    assert any("was deleted" in r.getMessage() for r in caplog.records)
    path.write_text(text.replace('"v1"', '"v2"'))
    assert qtreload.check().reloaded == (module.__name__,)
    assert module.version() == "v2"


def test_an_empty_module_deleted_is_reported_deleted_not_raised(project, caplog):
    """An empty module (an empty ``__init__.py``) whose file goes away: the check
    used to raise TypeError from the fingerprint of no source at all."""
    project.write("empty", "")
    module = project.load("empty")
    qtreload.check()
    os.remove(project.path("empty"))
    assert not qtreload.check()
    assert qtreload.reloader.watched()[module.__name__].deleted
    assert any("was deleted" in r.getMessage() for r in caplog.records)
    project.write("empty", "VALUE = 1\n")
    assert qtreload.check().reloaded == (module.__name__,)
    assert module.VALUE == 1


def test_file_caught_empty_half_way_through_a_save_is_not_a_new_version(watched, caplog):
    project, module, runs = watched
    path = project.path("watched")
    text = path.read_text()
    path.write_bytes(b"")  # truncated; the editor has not written the new text yet
    assert not qtreload.check() and not qtreload.check()
    assert module.version() == "v1" and runs == ["watched"]
    (warning,) = [r for r in caplog.records if r.name == "qtreload" and r.levelno >= 30]
    assert "is empty" in warning.getMessage() and str(path) in warning.getMessage()
    path.write_text(text.replace('"v1"', '"v2"'))
    assert qtreload.check().reloaded == (module.__name__,)
    assert module.version() == "v2"


def test_touch_and_identical_save_rerun_nothing(watched):
    project, module, runs = watched
    path = project.path("watched")
    os.utime(path)
    assert not qtreload.check()
    path.write_text(path.read_text())
    assert not qtreload.check()
    save_by_rename(project, path.read_text())
    assert not qtreload.check()
    assert runs == ["watched"]
    assert not qtreload.reloader.watched()[module.__name__].disk


def test_save_back_to_the_running_content_is_nothing_to_do(watched):
    project, module, runs = watched
    path = project.path("watched")
    text = path.read_text()
    path.write_text(text.replace('"v1"', '"v2"'))
    path.write_text(text)  # undone before the check
    assert not qtreload.check()
    assert runs == ["watched"]


def test_two_modules_saved_back_to_back_are_both_reloaded(project):
    project.write("one", "def f():\n    return 'one v1'\n")
    project.write("two", "def f():\n    return 'two v1'\n")
    one, two = project.load("one"), project.load("two")
    qtreload.check()
    project.edit("one", "v1", "v2")
    project.edit("two", "v1", "v2")
    assert set(qtreload.check().reloaded) == {one.__name__, two.__name__}
    assert (one.f(), two.f()) == ("one v2", "two v2")


SAME_SIZE = """
    import os, sys
    {setup}
    import qtreload
    {reloader}
    import late
    assert os.path.isdir("__pycache__"), os.listdir(".")
    for mod in (early, late):
        path = mod.__file__
        st = os.stat(path)
        for value in ("bbbb", "cccc", "dddd"):
            with open(path, "w") as f:
                f.write("VALUE = '%s'\\n" % value)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
            report = reloader.check()
            assert report.reloaded == (mod.__name__,), (value, report)
            assert mod.VALUE == value, (mod.VALUE, value)
    print("ok")
"""


@pytest.mark.parametrize("detector", ["auto", "polling"])
def test_same_size_saves_with_same_mtime_and_bytecode_on(tmp_path, detector):
    for name in ("early", "late"):
        (tmp_path / f"{name}.py").write_text("VALUE = 'aaaa'\n")
    # ``early`` is imported before qtreload (its .pyc is written by Python's own
    # loader); ``late`` has a .pyc compiled beforehand, then is imported after.
    setup = "import early, py_compile; py_compile.compile('late.py')"
    if detector == "auto":
        reloader = "reloader = qtreload.reloader"
    else:
        reloader = ("qtreload.reloader.close(); reloader = qtreload.Reloader('polling'); "
                    "reloader.enable()")
    code = SAME_SIZE.replace("{setup}", setup).replace("{reloader}", reloader)
    result = run_python(code, tmp_path, unset=["PYTHONDONTWRITEBYTECODE"])
    assert assert_ran(result).split() == ["ok"]
    assert os.listdir(tmp_path / "__pycache__")


@pytest.fixture
def polling(project):
    """An independent polling reloader for the test's modules only; the global one skips them."""
    saved = list(qtreload.reloader.config.exclude)
    qtreload.configure(exclude=saved + [project.name("*")])
    reloader = qtreload.Reloader(detector="polling")
    reloader.configure(include=[project.name("*")])
    reloader.enable()
    try:
        yield reloader
    finally:
        reloader.close()
        qtreload.configure(exclude=saved)


def test_polling_reloader_sees_every_save_pattern(project, polling):
    project.write("state", "RUNS = []\n")
    project.write("watched", WATCHED)
    module, runs = project.load("watched"), project.load("state").RUNS
    assert polling.is_watched(module.__name__, module.__file__)
    assert polling.check().reloaded == ()
    text = project.path("watched").read_text()
    for n, save in enumerate(SAVES.values(), start=2):
        save(project, text.replace('"v1"', f'"v{n}"'))
        assert polling.check().reloaded == (module.__name__,)
        assert module.version() == f"v{n}"
    os.utime(project.path("watched"))
    assert not polling.check()
    assert not qtreload.check()  # the global reloader does not watch these modules
    assert runs == ["watched"] * 4


def test_closing_a_second_reloader_leaves_the_global_one_working(project):
    second = qtreload.Reloader(detector="polling")
    second.configure(include=["no_such_module"])
    second.enable()
    project.write("before", "def make():\n    return lambda: 'before v1'\n")
    held_before = project.load("before").make()
    second.close()
    project.write("after", "def make():\n    return lambda: 'after v1'\n")
    held_after = project.load("after").make()
    project.edit("before", "v1", "v2")
    project.edit("after", "v1", "v2")
    assert set(qtreload.check().reloaded) == {project.name("before"), project.name("after")}
    # Live lambdas are found again only if the import hook compiled them for us.
    assert (held_before(), held_after()) == ("before v2", "after v2")
