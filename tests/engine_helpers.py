"""Helpers shared by the engine tests: subprocess runs and snapshots of live state."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def run_python(code: str, cwd: Path, env: dict[str, str] | None = None,
               unset: Iterable[str] = ()) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter that can import qtreload; returns the result.

    ``env`` adds variables and ``unset`` removes some (``PYTHONDONTWRITEBYTECODE``).
    """
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), str(cwd)] + ([environ["PYTHONPATH"]] if environ.get("PYTHONPATH") else [])
    )
    environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    environ.pop("QTRELOAD", None)
    for name in unset:
        environ.pop(name, None)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(code)],
        cwd=cwd, env=environ, capture_output=True, text=True, timeout=120,
    )


def assert_ran(result: subprocess.CompletedProcess) -> str:
    """The subprocess exited with 0; returns its stdout."""
    assert result.returncode == 0, (
        f"rc={result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result.stdout


def live_state(module: types.ModuleType) -> dict[str, Any]:
    """Everything a reload could change in ``module``, in comparable form.

    Module dict keys and value identities, each function's code, defaults and
    attribute dict, and each class's dict (keys, value identities, and the
    code of its methods).
    """
    state: dict[str, Any] = {"keys": sorted(module.__dict__)}
    for name, value in module.__dict__.items():
        state[f"id:{name}"] = id(value)
        if isinstance(value, types.FunctionType):
            state[f"fn:{name}"] = _function_state(value)
        elif isinstance(value, type) and value.__module__ == module.__name__:
            state[f"cls:{name}"] = _class_state(value)
    return state


def _function_state(func: types.FunctionType) -> tuple:
    return (func.__code__, func.__defaults__, func.__kwdefaults__, func.__doc__,
            dict(func.__annotations__), dict(func.__dict__))


def _class_state(cls: type) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name, value in cls.__dict__.items():
        state[name] = id(value)
        if isinstance(value, types.FunctionType):
            state[f"fn:{name}"] = _function_state(value)
    return state
