"""The binary finds the squall Python package from where it is, not from the folder it was
built in: a copied or installed binary works with python/ at <prefix>/share/squall/python or
<prefix>/lib/squall/python, or with SQUALL_PYTHONPATH.

Then Squall as `cmake --install` lays it out (packaging/CMakeLists.txt), from the build that made
$SQUALL_BIN: installed into a DESTDIR, moved away from where it was installed, and run with a
clean environment from a folder outside the checkout, so nothing can come from the build or
source tree: the Python word count, the `storm` alias, and a C++ topology built with
find_package(Squall), run locally and submitted to the installed nimbus with StormSubmitter."""

import os
import shutil
import signal
import socket
import subprocess

import pytest

from conftest import DEADLINE_SECS, EXAMPLES, ROOT, merged_env, wait_for_output

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


def test_binary_in_a_checkout_but_not_a_build_folder_ignores_the_checkout(one_copy, tmp_path):
    # An install or copy that happens to sit inside a source tree must not use its python/:
    # only a binary in a CMake build folder (CMakeCache.txt above it) looks there.
    checkout = tmp_path / "checkout"
    shutil.copytree(os.path.join(ROOT, "python", "squall"), checkout / "python" / "squall",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "CMakeLists.txt").write_text("project(other)\n")
    for folder in ("prefix", "build"):
        (checkout / folder / "bin").mkdir(parents=True)
        os.link(one_copy, checkout / folder / "bin" / "squall")
    (checkout / "build" / "CMakeCache.txt").write_text("")

    installed = validate(str(checkout / "prefix" / "bin" / "squall"))
    assert installed.returncode == 1, installed.stdout + installed.stderr
    assert "cannot find the squall Python package" in installed.stderr, installed.stderr

    built = validate(str(checkout / "build" / "bin" / "squall"))
    assert built.returncode == 0, built.stdout + built.stderr


# --- cmake --install -----------------------------------------------------------------------

def build_folder_of(binary):
    """The CMake build folder that made `binary` (the nearest CMakeCache.txt above it)."""
    folder = os.path.dirname(os.path.abspath(binary))
    while folder != os.path.dirname(folder):
        if os.path.isfile(os.path.join(folder, "CMakeCache.txt")):
            return folder
        folder = os.path.dirname(folder)
    return None


def clean_env(**extra):
    """No SQUALL_*, PYTHONPATH or anything else that could point back at the checkout; the
    sanitizer options of an ASan build are kept."""
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def installed(squall, tmp_path_factory):
    """`cmake --install` of $SQUALL_BIN's build into a DESTDIR with prefix /usr, then moved to
    another folder: what it finds, it finds relative to itself."""
    if not shutil.which("cmake"):
        pytest.skip("cmake is not installed")
    build = build_folder_of(squall.binary)
    if not build:
        pytest.skip("SQUALL_BIN is not inside a CMake build folder: nothing to install from")
    stage = tmp_path_factory.mktemp("destdir")
    r = subprocess.run(["cmake", "--install", build, "--prefix", "/usr"], capture_output=True,
                       text=True, timeout=120, env=merged_env({"DESTDIR": str(stage)}))
    assert r.returncode == 0, r.stdout + r.stderr
    prefix = tmp_path_factory.mktemp("moved") / "squall"
    os.rename(stage / "usr", prefix)
    yield prefix
    shutil.rmtree(prefix)  # hundreds of MB for a sanitized build: not kept with pytest's tmp


def test_install_lays_out_what_an_operator_needs(installed):
    for path in ("bin/squall", "bin/storm", "share/squall/python/squall/__init__.py",
                 "share/squall/python/streamparse/__init__.py",
                 "share/squall/python/pystorm/__init__.py", "share/squall/python/storm.py",
                 "share/squall/storm.yaml", "share/doc/squall/README.md",
                 "share/doc/squall/CONFIG.md", "share/doc/squall/examples/wordcount.py",
                 "include/squall/squall.h", "lib/cmake/Squall/SquallConfig.cmake"):
        assert (installed / path).exists(), path
    assert os.readlink(installed / "bin" / "storm") == "squall"
    # Example resources that are links in the checkout are real files once installed.
    resources = installed / "share" / "doc" / "squall" / "examples" / "resources"
    assert not any(p.is_symlink() for p in resources.iterdir())
    assert not list(installed.rglob("__pycache__"))


def run_until(args, cwd, needle, env=None):
    """Runs `args` in a clean environment (plus `env`) until `needle` is printed, then stops it
    with Ctrl-C; its output."""
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=clean_env(**(env or {})))
    try:
        wait_for_output(proc, needle, deadline_secs=DEADLINE_SECS)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    return out


@pytest.fixture()
def examples(installed, tmp_path, multilang):
    """The installed examples, copied to a scratch folder (Python writes caches beside them)."""
    return shutil.copytree(installed / "share" / "doc" / "squall" / "examples",
                           tmp_path / "examples")


def test_installed_squall_runs_the_python_word_count(installed, examples):
    out = run_until([str(installed / "bin" / "squall"), "run", "wordcount.py", "--kill-wait", "1"],
                    examples, '["the", 4]')
    assert "killed" in out


def test_installed_storm_alias_runs_storm_local(installed, examples):
    out = run_until([str(installed / "bin" / "storm"), "local", "wordcount_squall.yaml"],
                    examples, '["the", 4]')
    assert "killed" in out


def test_find_package_builds_a_cpp_topology_against_the_install(installed, tmp_path):
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    build = tmp_path / "consumer"
    env = clean_env()
    # A shared compiler cache, if the caller uses one, makes the rebuild cheap.
    for key in ("CCACHE_DIR", "CCACHE_BASEDIR", "CCACHE_NOHASHDIR", "CMAKE_CXX_COMPILER_LAUNCHER"):
        if key in os.environ:
            env[key] = os.environ[key]
    r = subprocess.run(["cmake", "-S", os.path.join(os.path.dirname(__file__), "install_consumer"),
                        "-B", str(build), "-DCMAKE_PREFIX_PATH=" + str(installed), *generator],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert str(installed) in (build / "CMakeCache.txt").read_text()
    r = subprocess.run(["cmake", "--build", str(build)], capture_output=True, text=True,
                       timeout=180, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    try:
        r = subprocess.run([str(build / "acked_sum")], capture_output=True, text=True,
                           timeout=DEADLINE_SECS, env=clean_env())
        assert r.returncode == 0, r.stdout + r.stderr
        assert "acked 100 sum 4950" in r.stdout
        submitted_through_the_installed_nimbus(installed, build / "submit_words", tmp_path)
    finally:
        shutil.rmtree(build)  # a sanitized program is large: not kept with pytest's tmp


def submitted_through_the_installed_nimbus(installed, submit_words, tmp_path):
    """A C++ main() linked with Squall::squall_submit submits to the installed `squall nimbus`
    (HOME is a fresh folder: no ~/.storm/storm.yaml of the machine's is read)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    squall = str(installed / "bin" / "squall")
    env = clean_env(HOME=str(tmp_path))
    nimbus = subprocess.Popen([squall, "nimbus", "-c", "nimbus.thrift.port={}".format(port),
                               "-c", "storm.local.dir={}".format(tmp_path / "nimbus-local")],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=env)
    try:
        wait_for_output(nimbus, "serving Storm's Nimbus Thrift service", DEADLINE_SECS)
        r = subprocess.run([str(submit_words), str(port), "cpp-words"], capture_output=True,
                           text=True, timeout=DEADLINE_SECS, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.splitlines()[-1].startswith("submitted cpp-words-"), r.stdout
        assert "Finished submitting topology: cpp-words" in r.stdout  # Storm's client log
        r = subprocess.run([squall, "list", "-c", "nimbus.seeds=[\"127.0.0.1\"]",
                            "-c", "nimbus.thrift.port={}".format(port)],
                           capture_output=True, text=True, timeout=DEADLINE_SECS, env=env)
        assert r.returncode == 0, r.stderr
        assert "cpp-words" in r.stdout and "ACTIVE" in r.stdout, r.stdout
        # The same name again is Storm's AlreadyAliveException, named as such.
        r = subprocess.run([str(submit_words), str(port), "cpp-words"], capture_output=True,
                           text=True, timeout=DEADLINE_SECS, env=env)
        assert r.returncode == 1 and "already" in r.stderr.lower(), r.stdout + r.stderr
    finally:
        nimbus.send_signal(signal.SIGTERM)
        try:
            nimbus.wait(timeout=DEADLINE_SECS)
        except subprocess.TimeoutExpired:
            nimbus.kill()
            nimbus.wait()
