"""The binary finds the squall Python package from where it is, not from the folder it was
built in: a copied or installed binary works with python/ at <prefix>/share/squall/python or
<prefix>/lib/squall/python, or with SQUALL_PYTHONPATH."""

import os
import shutil
import subprocess

import pytest

from conftest import DEADLINE_SECS, EXAMPLES, ROOT, merged_env

TOPOLOGY = os.path.join(EXAMPLES, "wordcount.py")


@pytest.fixture(scope="module")
def one_copy(squall, tmp_path_factory):
    """The binary copied once (it is large); each test links it into its own prefix."""
    path = tmp_path_factory.mktemp("copy") / "squall"
    shutil.copy2(squall.binary, path)
    return path


@pytest.fixture()
def copied(one_copy, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    binary = bin_dir / "squall"
    try:
        # A hard link, not a symlink: /proc/self/exe would name the symlink's target.
        os.link(one_copy, binary)
    except OSError:
        shutil.copy2(one_copy, binary)
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
