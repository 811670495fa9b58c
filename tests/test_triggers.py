"""The three trigger switches: one state shared by configure, the CLI and the UI; env variables."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from test_cli import APP, HANDLER, ok, python, write

import qtreload
from qtreload._triggers import BEFORE_EVENTS, TRIGGERS, find, parse_switch, switches

SHOW = """
    from qtreload._triggers import switches
    import qtreload
    print(*(f"{k}={int(v)}" for k, v in switches.state().items()),
          f"calls={int(qtreload.reloader.check_before_calls)}")
"""


def show_state(tmp_path: Path, **env: str) -> tuple[list[str], str]:
    result = python(["-c", textwrap.dedent(SHOW)], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split(), result.stderr


@pytest.fixture
def restored():
    state = switches.state()
    calls = qtreload.reloader.check_before_calls
    yield
    for key, on in state.items():
        switches.set(key, on)
    qtreload.reloader.check_before_calls = calls


def test_each_switch_starts_from_its_environment_variable(tmp_path: Path) -> None:
    assert show_state(tmp_path)[0] == [
        "before_script=1", "before_command=1", "before_events=1", "calls=1"]
    state, _ = show_state(tmp_path, QTRELOAD_BEFORE_SCRIPT="0", QTRELOAD_BEFORE_COMMAND="off",
                          QTRELOAD_BEFORE_EVENTS="no")
    assert state == ["before_script=0", "before_command=0", "before_events=0", "calls=0"]
    state, err = show_state(tmp_path, QTRELOAD_BEFORE_COMMAND="maybe")
    assert state[1] == "before_command=1"
    assert "QTRELOAD_BEFORE_COMMAND must be on or off" in err and "'maybe'" in err


def test_configure_flips_the_switches_and_refuses_non_booleans(restored) -> None:
    qtreload.configure(before_command=False, before_events=False)
    assert switches.state() == {"before_script": True, "before_command": False,
                                "before_events": False}
    assert qtreload.reloader.check_before_calls is False
    qtreload.configure(before_events=True)
    assert qtreload.reloader.check_before_calls is True
    with pytest.raises(TypeError, match="before_script must be True, False or None"):
        qtreload.configure(before_script="off")
    with pytest.raises(TypeError, match="True or False"):
        switches.set(BEFORE_EVENTS, 1)
    assert switches.before_script is True


def test_names_and_values_are_checked() -> None:
    assert find("before-command") is find("before_command") is TRIGGERS[1]
    with pytest.raises(ValueError, match="no trigger point 'before_cell'.*before-script"):
        find("before_cell")
    assert parse_switch(" ON ", "x") is True and parse_switch("0", "x") is False
    with pytest.raises(ValueError, match="x must be on or off"):
        parse_switch("2", "x")


def test_run_honours_the_environment_variable_like_the_flag(tmp_path: Path) -> None:
    write(tmp_path / "handler.py", HANDLER)
    app = write(tmp_path / "app.py", APP)
    env = {"QTRELOAD_BEFORE_EVENTS": "0"}
    result = python(["-m", "qtreload", "run", str(app), "pw:pw"], cwd=tmp_path, env=env)
    assert ok(result) == ["plain v1", "wrapped v1"] * 2
    write(tmp_path / "handler.py", HANDLER)
    result = python(["-m", "qtreload", "run", "--before-events", str(app), "pw:pw"],
                    cwd=tmp_path, env=env)
    assert ok(result) == ["plain v1", "wrapped v1", "plain v2", "wrapped v2"]
