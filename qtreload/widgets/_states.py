"""What the dialog shows for each watched module: up to date, changed, failed, waiting, deleted.

Read from the engine's records, the failures it reported, and the files on disk
(hashed with the engine's own fingerprint, re-hashed only when the detector's
stat signature moves).
"""
from __future__ import annotations

import sys
import time
import weakref
from collections.abc import Mapping

from .._detector import is_racy, stat_signature
from .._engine import Reloader
from .._report import ReloadFailure, ReloadReport
from .._watch import WatchedModule, file_fingerprint

UP_TO_DATE, CHANGED, FAILED, DELETED = "up to date", "changed on disk", "failed", "deleted"
#: Saved together with a module whose reload failed: it goes in with that one's next good save.
WAITING = "waiting"


class FailureMemory:
    """The last failure per module and the fingerprint of the source that failed."""

    def __init__(self) -> None:
        self.failures: dict[str, tuple[ReloadFailure, bytes | None]] = {}

    def __call__(self, report: ReloadReport) -> None:
        for name in report.reloaded:
            self.failures.pop(name, None)
        for failure in report.failures:
            self.failures[failure.module] = (failure, file_fingerprint(failure.path))
        for name in [n for n in self.failures if n not in sys.modules]:
            del self.failures[name]  # a module gone for good: let its traceback go too


_memories: weakref.WeakKeyDictionary[Reloader, FailureMemory] = weakref.WeakKeyDictionary()


def memory_of(reloader: Reloader) -> FailureMemory:
    """One failure memory per reloader, listening from the first time the UI is used."""
    memory = _memories.get(reloader)
    if memory is None:
        memory = _memories[reloader] = FailureMemory()
        reloader.listeners.append(memory)
    return memory


class DiskDigests:
    """File fingerprints, re-hashed only when the file's stat signature moves.

    A signature taken within the detector's racy window of the file's mtime proves
    nothing (a same-size save in one tick), so recently written files are re-hashed.
    """

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[int, int, int, int], bytes]] = {}

    def get(self, path: str) -> bytes | None:
        sig = stat_signature(path)
        if sig is None:
            self._cache.pop(path, None)
            return None
        hit = self._cache.get(path)
        if hit and hit[0] == sig and not is_racy(sig, time.time_ns()):
            return hit[1]
        digest = file_fingerprint(path)
        if digest is not None:
            self._cache[path] = (sig, digest)
        return digest


def module_state(record: WatchedModule, memory: FailureMemory, disk: DiskDigests,
                 trusted: bool, waiting: Mapping[str, str]) -> tuple[str, str, str]:
    """(state, details, tooltip) of one watched module.

    ``trusted``: the engine is enabled and its detector has nothing pending, so a
    clean record is known to match its file without touching the disk.
    ``waiting``: why each waiting module waits, as the engine says (``Reloader.waiting()``).
    """
    if trusted and record.disk is None and record.failed is None and not record.deleted:
        return UP_TO_DATE, "", record.path
    digest = disk.get(record.path)
    if digest is None:
        return DELETED, "keeps running its last good code", record.path
    if digest == record.fingerprint:
        return UP_TO_DATE, "", record.path
    if record.failed is not None and record.failed == digest:
        if record.blocked_by:
            culprits = ", ".join(sorted(record.blocked_by))
            reason = waiting.get(record.name, f"saved with {culprits}, whose save failed")
            return WAITING, f"waiting for {culprits}", f"{record.path}\n{reason}"
        failure, failed_digest = memory.failures.get(record.name, (None, None))
        if failure is not None and failed_digest == digest:
            return FAILED, failure.short_message, failure.traceback_text
        return FAILED, "not applied: a module reloaded with it failed", record.path
    return CHANGED, "", record.path
