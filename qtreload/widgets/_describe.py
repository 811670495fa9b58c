"""One line of text for a reload report, for a status bar or the dialog."""
from __future__ import annotations

from .._report import ReloadReport


def describe(report: ReloadReport) -> str:
    """One line for a report: "Reloaded: a, b" or "Reload failed: file:line: error"."""
    if report.failures:
        return "Reload failed: " + "; ".join(f.short_message for f in report.failures)
    restart = sum(w.restart_needed for w in report.warnings)
    tail = f" ({restart} change(s) need a restart)" if restart else ""
    if report.reloaded:
        return "Reloaded: " + ", ".join(report.reloaded) + tail
    return ("Reloaded with warnings" + tail) if report.warnings else "Nothing to reload"
