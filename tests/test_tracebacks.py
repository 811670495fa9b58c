"""A failed reload is shown with the user's frames; qtreload's own only with QTRELOAD_DEBUG=1."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

import qtreload


def frame_files(text: str) -> list[str]:
    return [Path(line.split('"')[1]).name for line in text.splitlines()
            if line.startswith('  File "')]


def failed_reload(project, caplog, source: str):
    project.write("helper", "def boom():\n    return {}['key']\n")
    project.write("mod", "VALUE = 1\n")
    project.load("mod")
    qtreload.check()
    project.write("mod", source)
    with caplog.at_level(logging.ERROR, logger="qtreload"):
        report = qtreload.check()
    (failure,) = report.failures
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    return failure, logging.Formatter().formatException(record.exc_info)


def test_an_exception_at_import_shows_the_users_frames(project, caplog, monkeypatch):
    monkeypatch.delenv("QTRELOAD_DEBUG", raising=False)
    failure, logged = failed_reload(project, caplog, "import {p}helper\n{p}helper.boom()\n")
    mod, helper = project.path("mod").name, project.path("helper").name
    assert frame_files(logged) == frame_files(failure.traceback_text) == [mod, helper]
    assert logged.endswith("KeyError: 'key'")


def test_a_syntax_error_shows_only_the_broken_line(project, caplog, monkeypatch):
    monkeypatch.delenv("QTRELOAD_DEBUG", raising=False)
    failure, logged = failed_reload(project, caplog, "VALUE = (2,\n")
    assert frame_files(logged) == [project.path("mod").name]  # the SyntaxError's own line
    assert "Traceback" not in logged  # as Python prints it: no frame led to it
    assert logged.endswith("SyntaxError: '(' was never closed")


@pytest.mark.parametrize("value", ["1", "yes"])
def test_qtreload_debug_keeps_qtreloads_frames(project, caplog, monkeypatch, value):
    monkeypatch.setenv("QTRELOAD_DEBUG", value)
    failure, logged = failed_reload(project, caplog, "import {p}helper\n{p}helper.boom()\n")
    files = frame_files(logged)
    assert "_transaction.py" in files and files[-1] == project.path("helper").name
    assert frame_files(failure.traceback_text) == files
