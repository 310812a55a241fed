"""The binary finds the squall Python package from where it is, not from the folder it was
built in: a copied or installed binary works with python/ at <prefix>/share/squall/python or
<prefix>/lib/squall/python, or with SQUALL_PYTHONPATH."""

import os
import shutil
import subprocess

import pytest

from conftest import DEADLINE_SECS, EXAMPLES, ROOT, merged_env

TOPOLOGY = os.path.join(EXAMPLES, "wordcount.py")


@pytest.fixture()
def copied(squall, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    binary = bin_dir / "squall"
    shutil.copy2(squall.binary, binary)
    return tmp_path, str(binary)


def validate(binary, env=None):
    return subprocess.run([binary, "validate", TOPOLOGY], cwd=ROOT, capture_output=True,
                          text=True, timeout=DEADLINE_SECS,
                          env=merged_env(dict({"SQUALL_PYTHONPATH": None}, **(env or {}))))


def test_copied_binary_without_the_package_says_where_it_looked(copied):
    _, binary = copied
    r = validate(binary)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "cannot find the squall Python package" in r.stderr, r.stderr
    assert "share/squall/python" in r.stderr, r.stderr


@pytest.mark.parametrize("layout", ["share", "lib"])
def test_copied_binary_finds_the_package_beside_it(copied, layout):
    prefix, binary = copied
    target = prefix / layout / "squall"
    target.mkdir(parents=True)
    shutil.copytree(os.path.join(ROOT, "python"), target / "python",
                    ignore=shutil.ignore_patterns("__pycache__", "tests"))
    r = validate(binary)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "is valid" in r.stdout


def test_squall_pythonpath_wins(copied):
    _, binary = copied
    r = validate(binary, {"SQUALL_PYTHONPATH": os.path.join(ROOT, "python")})
    assert r.returncode == 0, r.stdout + r.stderr
