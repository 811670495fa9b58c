"""ChangeDetector behaviour on real files, for both implementations, without sleeps.

The polling detector normally re-reports files touched within the last 2 s (its racy
window), so "nothing changed" would need a 2 s wait. The ``det`` fixture therefore
patches ``RACY_WINDOW_NS`` to 0 (which also reaches the inotify detector's internal
polling fallback) and its tests make every successive write change the file size, the
one thing a zero window still relies on. ``test_same_size_same_mtime`` keeps the real
window, which is what makes that case deterministic.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sys
import time

import pytest

from qtreload import _detector
from qtreload._detector import InotifyDetector, PollingDetector, make_detector

KINDS = ["inotify", "polling"]


@pytest.fixture(params=KINDS)
def det(request, monkeypatch):
    monkeypatch.setattr(_detector, "RACY_WINDOW_NS", 0)
    detector = make_detector(request.param)
    assert detector.kind == request.param
    yield detector
    detector.close()


def path_in(directory, *parts: str) -> str:
    path = os.path.realpath(os.path.join(directory, *parts))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def settled(det) -> bool:
    """Nothing reported: pending() may over-report (inotify), drain() must not."""
    return det.drain() == set() and not det.pending()


def test_nothing_happened(det, tmp_path):
    a = path_in(tmp_path, "a.py")
    write(a, "x = 1\n")
    det.watch(a)
    det.watch(a)  # idempotent
    assert not det.pending()
    assert det.drain() == set()
    assert not det.pending()


@pytest.mark.parametrize("kind", KINDS)
def test_same_size_same_mtime(kind, tmp_path):
    a = path_in(tmp_path, "a.py")
    stamp = time.time_ns() // 1_000_000 * 1_000_000

    def save(text: str) -> None:
        write(a, text)
        os.utime(a, ns=(stamp, stamp))

    save("x = 1\n")
    det = make_detector(kind)
    try:
        det.watch(a)
        det.drain()
        save("x = 2\n")
        assert det.pending()
        assert a in det.drain()
        save("x = 3\n")
        assert det.pending()
        assert a in det.drain()
    finally:
        det.close()


def _write_in_place(path: str, text: str) -> None:
    write(path, text)


def _write_temp_then_rename(path: str, text: str) -> None:
    write(path + ".tmp", text)
    os.replace(path + ".tmp", path)


def _delete_then_recreate(path: str, text: str) -> None:
    os.remove(path)
    write(path, text)


def _delete(path: str, text: str) -> None:
    os.remove(path)


EDITOR_SAVES = {
    "in place": _write_in_place,
    "temp then rename": _write_temp_then_rename,
    "delete then recreate": _delete_then_recreate,
    "delete only": _delete,
}


@pytest.mark.parametrize("save", EDITOR_SAVES)
def test_editor_save_is_seen_and_the_file_stays_watched(det, tmp_path, save):
    a = path_in(tmp_path, "a.py")
    write(a, "x = 1\n")
    det.watch(a)
    EDITOR_SAVES[save](a, "x = 22\n")
    assert det.pending()
    assert det.drain() == {a}
    assert settled(det)
    write(a, "x = 333\n")  # a later in-place save is seen too
    assert det.pending()
    assert det.drain() == {a}


def test_missing_file_watched_then_created(det, tmp_path):
    a = path_in(tmp_path, "a.py")
    det.watch(a)
    assert settled(det)
    write(a, "x = 1\n")
    assert det.pending()
    assert det.drain() == {a}


def test_unrelated_files_ignored(det, tmp_path):
    a = path_in(tmp_path, "a.py")
    write(a, "x = 1\n")
    det.watch(a)
    write(path_in(tmp_path, ".a.py.swp"), "swap")
    write(path_in(tmp_path, "__pycache__", "a.cpython-311.pyc"), "pyc")
    write(path_in(tmp_path, "b.py"), "y = 1\n")
    os.remove(path_in(tmp_path, "b.py"))
    assert det.drain() == set()
    assert not det.pending()
    write(a, "x = 22\n")
    assert det.drain() == {a}


def test_unwatch(det, tmp_path):
    a, b = path_in(tmp_path, "a.py"), path_in(tmp_path, "b.py")
    c = path_in(tmp_path, "sub", "c.py")
    for path in (a, b, c):
        write(path, "x = 1\n")
    for path in (a, b, c):
        det.watch(path)
    det.unwatch(a)
    det.unwatch(c)  # last file of its directory
    det.unwatch(path_in(tmp_path, "never.py"))  # unknown: ignored
    write(a, "x = 22\n")
    write(c, "x = 22\n")
    assert det.drain() == set()
    write(b, "x = 22\n")
    assert det.drain() == {b}
    assert settled(det)


def test_several_files(det, tmp_path):
    a, b = path_in(tmp_path, "a.py"), path_in(tmp_path, "b.py")
    c = path_in(tmp_path, "other", "deep", "c.py")
    for path in (a, b, c):
        write(path, "x = 1\n")
    for path in (a, b, c):
        det.watch(path)
    assert settled(det)
    write(b, "x = 22\n")
    assert det.drain() == {b}
    write(a, "x = 22\n")
    write(c, "x = 22\n")
    assert det.drain() == {a, c}
    assert settled(det)


@pytest.mark.parametrize("how", ["rmtree", "rename"])
def test_directory_goes_and_comes_back(det, tmp_path, how):
    a = path_in(tmp_path, "pkg", "a.py")
    write(a, "x = 1\n")
    det.watch(a)
    pkg = os.path.dirname(a)
    if how == "rmtree":
        shutil.rmtree(pkg)
    else:
        os.rename(pkg, pkg + "_old")
    assert det.pending()
    assert det.drain() == {a}
    assert settled(det)
    if how == "rename":  # the moved-away copy is no longer the watched path
        write(os.path.join(pkg + "_old", "a.py"), "x = 22\n")
        assert settled(det)
    os.makedirs(pkg)
    write(a, "x = 333\n")
    assert det.pending()
    assert det.drain() == {a}
    assert settled(det)
    write(a, "x = 4444\n")
    assert det.pending()
    assert det.drain() == {a}


def test_inotify_queue_overflow(tmp_path):
    with open("/proc/sys/fs/inotify/max_queued_events") as f:
        limit = int(f.read())
    if limit > 100_000:
        pytest.skip("inotify queue too large to overflow quickly")
    a = path_in(tmp_path, "a.py")
    write(a, "x = 1\n")
    noise = [path_in(tmp_path, "n1"), path_in(tmp_path, "n2")]
    for path in noise:
        write(path, "")
    det = InotifyDetector()
    try:
        det.watch(a)
        for i in range(limit + 10):  # alternate names so the kernel cannot merge events
            os.utime(noise[i % 2])
        assert det.drain() == {a}
        assert settled(det)
        write(a, "x = 22\n")
        assert det.drain() == {a}
    finally:
        det.close()


def test_inotify_watch_limit_falls_back_to_polling(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(_detector, "RACY_WINDOW_NS", 0)
    caplog.set_level(logging.WARNING, logger="qtreload")
    det = make_detector("inotify")
    try:
        early = path_in(tmp_path, "d0", "early.py")
        write(early, "x = 1\n")
        det.watch(early)

        def no_room(path, mask):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(det._inotify, "add_watch", no_room)
        a, b = path_in(tmp_path, "d1", "a.py"), path_in(tmp_path, "d2", "b.py")
        for path in (a, b):
            write(path, "x = 1\n")
            det.watch(path)
        assert settled(det)
        write(a, "x = 22\n")
        assert det.pending()
        assert det.drain() == {a}
        write(b, "x = 22\n")
        os.remove(a)
        assert det.drain() == {a, b}
        write(early, "x = 22\n")  # still on inotify
        assert det.drain() == {early}
        assert settled(det)
    finally:
        det.close()
    warnings = [r for r in caplog.records if r.name == "qtreload" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "max_user_watches" in warnings[0].getMessage()


def test_polling_racy_entries_settle(tmp_path, monkeypatch):
    a = path_in(tmp_path, "a.py")
    write(a, "x = 1\n")
    det = PollingDetector()
    det.watch(a)
    assert det.pending()  # just written: its signature cannot prove anything yet
    assert det.drain() == {a}
    assert det.drain() == {a}  # still within the racy window
    real_clock = _detector._clock
    monkeypatch.setattr(_detector, "_clock", lambda: real_clock() + 3 * _detector.RACY_WINDOW_NS)
    assert det.drain() == {a}  # re-snapshot "3 windows later": now safely old
    assert not det.pending()
    assert det.drain() == set()
    write(a, "x = 22\n")
    assert det.pending()
    assert det.drain() == {a}


def test_make_detector_choice(monkeypatch):
    auto = make_detector()
    assert isinstance(auto, InotifyDetector) and auto.kind == "inotify"
    auto.close()
    assert make_detector("polling").kind == "polling"
    with pytest.raises(ValueError):
        make_detector("fsevents")
    monkeypatch.setitem(sys.modules, "inotify_simple", None)
    assert make_detector("auto").kind == "polling"
    with pytest.raises(OSError):
        make_detector("inotify")


def test_polling_racy_rule_sees_identical_signatures(tmp_path, monkeypatch):
    """A coarse filesystem: two same-size saves in one tick leave the stat identical."""
    a = path_in(tmp_path, "a.py")
    write(a, "x = 1\n")
    recent = _detector._clock()
    monkeypatch.setattr(_detector, "stat_signature", lambda path: (recent, 6, 1, recent))
    blind, racy = PollingDetector(racy_window_ns=0), PollingDetector()
    for det in (blind, racy):
        det.watch(a)
        det.drain()
    write(a, "x = 2\n")
    assert blind.drain() == set()  # the signature alone cannot tell
    assert racy.pending()
    assert racy.drain() == {a}
