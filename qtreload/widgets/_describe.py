"""Text for a reload report: one line for a status bar, all of it for a tooltip."""
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


def describe_in_full(report: ReloadReport) -> str:
    """Every line of a report: each failure with its full path, each warning."""
    lines = ["Reload failed:"] if report.failures else [describe(report)]
    lines += [f"  {failure.message}" for failure in report.failures]
    lines += [f"  {warning.message}" for warning in report.warnings]
    failed = {failure.module for failure in report.failures}
    waits = [f"  {name}: {why}" for name, why in report.waiting.items() if name not in failed]
    lines += ["Waiting:", *waits] if waits else []
    return "\n".join(lines)
