"""The Python package as pip installs it (python/pyproject.toml): built offline with Debian's
setuptools into a fresh virtualenv, it gives squall, streamparse, pystorm and storm; and a squall
binary with no package beside it, pointed at the virtualenv's interpreter (SQUALL_PYTHON), runs
the Python word count with the package from the virtualenv."""

import os
import shutil
import subprocess

import pytest

from conftest import EXAMPLES, ROOT
from test_install_layout import clean_env, run_until

# Debian's python3-wheel-whl: setuptools before 70 needs the wheel package to build a wheel.
DEBIAN_WHEELS = "/usr/share/python-wheels"


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    wheels = os.listdir(DEBIAN_WHEELS) if os.path.isdir(DEBIAN_WHEELS) else []
    if not any(w.startswith("wheel-") for w in wheels):
        pytest.skip("Debian's wheel is not installed (Debian: python3-wheel-whl)")
    base = tmp_path_factory.mktemp("pip")
    # A copy of python/: building in place would leave build/ and *.egg-info in the checkout.
    source = shutil.copytree(os.path.join(ROOT, "python"), base / "src",
                             ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    r = subprocess.run(["/usr/bin/python3", "-m", "venv", str(base / "venv")],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0 and "ensurepip" in r.stdout + r.stderr:
        pytest.skip("python3 -m venv cannot make a virtualenv (Debian: python3-venv)")
    assert r.returncode == 0, r.stdout + r.stderr
    python = str(base / "venv" / "bin" / "python")
    env = clean_env(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    for args in (["--find-links", DEBIAN_WHEELS, "wheel"], ["--no-build-isolation", str(source)]):
        r = subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", *args],
                           capture_output=True, text=True, timeout=180, cwd=base, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
    return python


def test_venv_imports_every_name_from_site_packages(venv):
    code = ("import os, sys, squall, squall.dsl, streamparse, pystorm, storm\n"
            "from streamparse import Bolt as SB, Topology, Grouping\n"
            "from pystorm import Bolt as PB\n"
            "assert SB is PB is squall.Bolt, (SB, PB)\n"
            "assert storm.emit, 'storm.py API'\n"
            "for m in (squall, streamparse, pystorm, storm):\n"
            "    assert os.path.realpath(m.__file__).startswith(os.path.realpath(sys.prefix)), "
            "m.__file__\n"
            "print(squall.__version__)\n")
    r = subprocess.run([venv, "-c", code], capture_output=True, text=True, timeout=60,
                       cwd="/", env=clean_env())
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "0.1.0"


def test_squall_uses_the_venv_package(venv, squall, multilang, tmp_path):
    # The binary alone in a folder: nothing beside or above it holds the package, so it asks
    # SQUALL_PYTHON where `import squall` comes from.
    (tmp_path / "bin").mkdir()
    binary = tmp_path / "bin" / "squall"
    try:
        os.link(squall.binary, binary)  # a hard link: /proc/self/exe names this path
    except OSError:
        shutil.copy2(squall.binary, binary)
    examples = shutil.copytree(EXAMPLES, tmp_path / "examples", symlinks=False,
                               ignore=shutil.ignore_patterns("__pycache__", "CMakeLists.txt"))
    proc_env = {"SQUALL_PYTHON": venv}
    out = run_until([str(binary), "run", "wordcount.py", "--kill-wait", "1"], examples,
                    '["the", 4]', env=proc_env)
    assert "killed" in out
