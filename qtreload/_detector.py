"""Cheap detection of watched source files that may have changed.

The engine asks :meth:`ChangeDetector.pending` before every slot call, so it must be
nearly free; :meth:`ChangeDetector.drain` then names candidate paths, which the engine
confirms by hashing. A detector may over-report (a touch) but must never miss a change
that completed before ``pending()`` was called: no sleeps, no background threads.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import sys
import time

log = logging.getLogger("qtreload")

RACY_WINDOW_NS = 2_000_000_000
"""Stat signatures taken less than this long after a file's mtime/ctime prove nothing:
a same-size save within one timestamp tick would leave them unchanged."""

_clock = time.time_ns  # module attribute so tests can move time forward

# Linux <sys/inotify.h> values (kernel ABI).
_IN_MODIFY, _IN_ATTRIB, _IN_CLOSE_WRITE = 0x2, 0x4, 0x8
_IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = 0x40, 0x80, 0x100, 0x200
_IN_DELETE_SELF, _IN_MOVE_SELF, _IN_Q_OVERFLOW, _IN_IGNORED = 0x400, 0x800, 0x4000, 0x8000
_IN_ONLYDIR = 0x01000000
_MASK = (
    _IN_MODIFY | _IN_CLOSE_WRITE | _IN_CREATE | _IN_DELETE | _IN_MOVED_TO | _IN_MOVED_FROM
    | _IN_ATTRIB | _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_ONLYDIR
)
_DIR_GONE = _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_IGNORED
_LIMIT_ERRNOS = frozenset({errno.ENOSPC, errno.EMFILE, errno.ENOMEM})

_Signature = tuple[int, int, int, int]


class ChangeDetector:
    """Reports watched files that may have changed; the caller confirms by content."""

    kind: str = ""

    def watch(self, path: str) -> None:
        """Start watching *path* (absolute, realpath'd; need not exist). Idempotent."""
        raise NotImplementedError

    def unwatch(self, path: str) -> None:
        """Stop watching *path*; unknown paths are ignored."""
        raise NotImplementedError

    def pending(self) -> bool:
        """True if :meth:`drain` may return something. Hot path: lock-free, thread-safe."""
        raise NotImplementedError

    def drain(self) -> set[str]:
        """Watched paths possibly changed since the last drain; clears pending state."""
        raise NotImplementedError

    def close(self) -> None:
        """Release OS resources; the detector is unusable afterwards."""


def stat_signature(path: str) -> _Signature | None:
    """What ``stat`` says of *path* (mtime, size, inode, ctime), or None if it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def is_racy(sig: _Signature, now: int, window_ns: int = RACY_WINDOW_NS) -> bool:
    """Was *sig* taken too soon after the file's last write to prove it unchanged later?"""
    return max(sig[0], sig[3]) >= now - window_ns


class PollingDetector(ChangeDetector):
    """Portable stat-based detector; O(watched files) per ``pending()``.

    Like git's "racily clean" index entries, a signature taken within *racy_window_ns*
    of the file's own mtime/ctime is *racy*: the file is reported on every call until a
    later snapshot sees it safely old, so same-size saves in one tick are never missed.
    """

    kind = "polling"

    def __init__(self, racy_window_ns: int | None = None) -> None:
        self._window = RACY_WINDOW_NS if racy_window_ns is None else racy_window_ns
        # path -> (signature, racy). Replaced, never mutated: pending() iterates it unlocked.
        self._entries: dict[str, tuple[_Signature | None, bool]] = {}
        self._stash: set[str] = set()

    def _snapshot(self, path: str, now: int) -> tuple[_Signature | None, bool]:
        sig = stat_signature(path)
        return sig, sig is not None and is_racy(sig, now, self._window)

    def watch(self, path: str) -> None:
        if path not in self._entries:
            self._entries = {**self._entries, path: self._snapshot(path, _clock())}

    def unwatch(self, path: str) -> None:
        if path in self._entries:
            entries = dict(self._entries)
            del entries[path]
            self._entries = entries

    def pending(self) -> bool:
        found = {p for p, (sig, racy) in self._entries.items() if racy or stat_signature(p) != sig}
        if found:
            self._stash.update(found)
            return True
        return bool(self._stash)

    def drain(self) -> set[str]:
        stash, self._stash = self._stash, set()
        out = stash & self._entries.keys()
        now = _clock()  # read before the stats: an earlier time is the conservative side
        entries = {}
        for path, (sig, racy) in self._entries.items():
            entries[path] = new = self._snapshot(path, now)
            if racy or new[0] != sig:
                out.add(path)
        self._entries = entries
        return out

    def close(self) -> None:
        self._entries = {}
        self._stash = set()


class InotifyDetector(ChangeDetector):
    """Linux detector with one inotify watch per parent directory.

    Watching the directory rather than the file follows every editor save pattern
    (in-place write, write-temp-then-rename, delete-then-recreate) without re-arming.
    Directories inotify cannot take (missing, or watch limit reached) go to an internal
    :class:`PollingDetector`; missing ones return to inotify once they exist again.
    """

    kind = "inotify"

    def __init__(self) -> None:
        if not sys.platform.startswith("linux"):
            raise OSError(errno.ENOSYS, "inotify needs Linux")
        try:
            from inotify_simple import INotify
        except ImportError as exc:
            raise OSError(errno.ENOSYS, "inotify_simple is not available") from exc
        self._inotify = INotify(nonblocking=True)
        self._epoll = select.epoll()
        self._epoll.register(self._inotify.fileno(), select.EPOLLIN)
        self._epoll_poll = self._epoll.poll
        self._dirs: dict[str, set[str]] = {}  # dir -> watched file names in it
        self._wd_of: dict[str, int] = {}  # inotify-watched dir -> wd
        self._wds: dict[int, set[str]] = {}  # wd -> dirs (bind mounts can share an inode)
        self._polled: set[str] = set()  # dirs handed to _fallback
        self._fallback: PollingDetector | None = None
        self._limited = False
        self._dirty: set[str] = set()

    def pending(self) -> bool:
        # maxevents=1 spares epoll.poll a 1023-slot buffer (~30 ns); no ioctl/read here.
        if self._epoll_poll(0, 1) or self._dirty:
            return True
        fallback = self._fallback
        return fallback is not None and fallback.pending()

    def watch(self, path: str) -> None:
        d, name = os.path.split(path)
        names = self._dirs.get(d)
        if names is None:
            self._dirs[d] = {name}
            if not self._add_wd(d):
                self._poll(d)
        elif name not in names:
            names.add(name)
            if d in self._polled:
                if self._add_wd(d):
                    self._unpoll(d)
                else:
                    self._poller().watch(path)

    def unwatch(self, path: str) -> None:
        d, name = os.path.split(path)
        names = self._dirs.get(d)
        if names is None or name not in names:
            return
        names.discard(name)
        self._dirty.discard(path)
        if d in self._polled:
            self._poller().unwatch(path)
        if names:
            return
        del self._dirs[d]
        if d in self._polled:
            self._forget_polled(d)
        else:
            self._drop_wd(d)

    def drain(self) -> set[str]:
        out: set[str] = set()
        if self._polled and not self._limited:
            for d in list(self._polled):  # missing directories may be back
                if self._add_wd(d):
                    self._unpoll(d)
        lost: set[str] = set()
        for wd, mask, _cookie, name in self._inotify.read(timeout=0):
            if mask & _IN_Q_OVERFLOW:  # events were dropped, a directory loss among them maybe
                lost.update(self._wd_of)
                continue
            for d in self._wds.get(wd, ()):
                if mask & _DIR_GONE:
                    lost.add(d)
                elif name in self._dirs[d]:
                    out.add(os.path.join(d, name))
        for d in lost:  # report everything in it, then watch whatever is at that path now
            self._drop_wd(d)
            out |= self._paths(d)
            if not self._add_wd(d):
                self._poll(d)
        if self._fallback is not None:
            out |= self._fallback.drain()
        out |= self._dirty
        self._dirty.clear()
        return out

    def close(self) -> None:
        self._epoll.close()
        self._inotify.close()
        if self._fallback is not None:
            self._fallback.close()
            self._fallback = None

    def _paths(self, d: str) -> set[str]:
        return {os.path.join(d, name) for name in self._dirs[d]}

    def _add_wd(self, d: str) -> bool:
        """Watch directory *d*; False if inotify cannot take it (now or, at the limit, ever)."""
        if self._limited:
            return False
        try:
            wd = self._inotify.add_watch(d, _MASK)
        except OSError as exc:
            if exc.errno in _LIMIT_ERRNOS:
                self._limited = True
                log.warning(
                    "qtreload: inotify watch limit reached (%s); falling back to polling "
                    "for %s and any further directories. Raise "
                    "/proc/sys/fs/inotify/max_user_watches to avoid this.", exc.strerror, d,
                )
            return False
        self._wd_of[d] = wd
        self._wds.setdefault(wd, set()).add(d)
        return True

    def _drop_wd(self, d: str) -> None:
        wd = self._wd_of.pop(d)
        dirs = self._wds[wd]
        dirs.discard(d)
        if not dirs:
            del self._wds[wd]
            with contextlib.suppress(OSError):  # already gone with its directory
                self._inotify.rm_watch(wd)

    def _poll(self, d: str) -> None:
        fallback = self._fallback or PollingDetector()
        for path in self._paths(d):
            fallback.watch(path)
        self._polled.add(d)
        self._fallback = fallback

    def _poller(self) -> PollingDetector:
        """The polling fallback: it exists while any directory is polled."""
        assert self._fallback is not None, "no directory is polled"
        return self._fallback

    def _unpoll(self, d: str) -> None:
        """Move *d* from polling to its new inotify watch."""
        paths = self._paths(d)
        for path in paths:
            self._poller().unwatch(path)
        self._dirty |= paths  # they may have changed before the watch existed
        self._forget_polled(d)

    def _forget_polled(self, d: str) -> None:
        self._polled.discard(d)
        if not self._polled:
            self._poller().close()
            self._fallback = None


def make_detector(kind: str = "auto") -> ChangeDetector:
    """Build a detector: "inotify", "polling", or "auto" (inotify when usable).

    Raises OSError when "inotify" is forced but unavailable.
    """
    if kind == "polling":
        return PollingDetector()
    if kind not in ("auto", "inotify"):
        raise ValueError(f"unknown detector kind {kind!r}")
    try:
        return InotifyDetector()
    except OSError:
        if kind == "inotify":
            raise
        return PollingDetector()
