"""The built wheel, installed as a user gets it (not editable): demo, --version, metadata.

The wheel is built from a copy of the source tree with ``pip wheel`` (as
``pip install .`` does), unpacked into a folder put first on ``PYTHONPATH``
and run from outside the source tree. Marked slow (the build takes 10-15 s and
fetches setuptools): ``python -m pytest -m slow`` runs it, as ``.ci/run`` does.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import qtreload

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", ".tox", ".venv", "build", "dist", "*.egg-info",
                              "__pycache__", "benchmarks", "tests")


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 180) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = Path(shutil.copytree(REPO, tmp / "src", ignore=SKIP))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"),
         str(source)], cwd=tmp)
    (built,) = (tmp / "dist").glob("qtreload_live-*.whl")
    return built


def test_the_wheel_holds_every_module_the_examples_and_the_metadata(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "qtreload").rglob("*.py")}
    assert modules <= names, f"missing from setup.cfg's packages: {sorted(modules - names)}"
    assert "qtreload/py.typed" in names
    for app in ("counter", "canvas", "todo"):
        assert f"qtreload/examples/{app}/main.py" in names
        assert f"qtreload/examples/{app}/README.md" in names
    info = f"qtreload_live-{qtreload.__version__}.dist-info"
    assert f"{info}/licenses/LICENSE" in names or f"{info}/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    fields = dict(line.split(": ", 1) for line in metadata.split("\n\n")[0].splitlines()
                  if ": " in line)
    assert fields["Version"] == qtreload.__version__
    assert fields["Author"] and fields["Home-page"].startswith("https://")
    assert fields["License"] == "MIT"


def test_the_installed_wheel_runs_the_demo_and_leaves_no_temporary_folder(
        wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # what pip installs, without touching this env
    temp = tmp_path / "temp"
    temp.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site), TMPDIR=str(temp), QT_QPA_PLATFORM="offscreen")
    env.pop("QTRELOAD", None)
    where = run([sys.executable, "-c", "import qtreload; print(qtreload.__file__)"],
                cwd=tmp_path, env=env)
    assert where.stdout.strip() == str(site / "qtreload" / "__init__.py")
    version = run([sys.executable, "-m", "qtreload", "--version"], cwd=tmp_path, env=env)
    assert version.stdout.strip() == f"qtreload {qtreload.__version__}"
    demo = run([sys.executable, "-m", "qtreload", "demo"], cwd=tmp_path, env=env)
    assert "the handler printed: add: count=11" in demo.stdout
    assert f"{temp}/qtreload-demo-" in demo.stdout  # it worked in a temporary folder...
    assert list(temp.glob("qtreload-demo-*")) == []  # ...and removed it
    # (Qt itself may leave its runtime folder there when XDG_RUNTIME_DIR is unset.)
