"""The Debian package CPack builds from the tree (packaging/CMakeLists.txt), from the build that
made $SQUALL_BIN: its Depends name the Debian package of every library the binary links (found
with dpkg -S here, not written down), it holds the binary, the storm alias and the Python
package, lintian finds no error in it, its contents run the Python word count on their own, and
packaging/Dockerfile installs exactly the file CPack makes.

Packaging the debug (ASan) build takes about a minute, most of it dpkg-shlibdeps reading the
sanitized binary's symbols; a release build packages in seconds."""

import fnmatch
import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT
from test_install_layout import build_folder_of, run_until

DOCKERFILE = os.path.join(ROOT, "packaging", "Dockerfile")


@pytest.fixture(scope="module")
def deb(squall, tmp_path_factory):
    for tool in ("cpack", "dpkg-deb", "dpkg-shlibdeps", "dpkg"):
        if not shutil.which(tool):
            pytest.skip(tool + " is not installed (Debian: cmake, dpkg-dev)")
    build = build_folder_of(squall.binary)
    if not build:
        pytest.skip("SQUALL_BIN is not inside a CMake build folder: nothing to package")
    out = tmp_path_factory.mktemp("deb")
    # Only the runtime package (squall-dev is headers and static libraries), gzip for speed.
    r = subprocess.run(["cpack", "--config", os.path.join(build, "CPackConfig.cmake"), "-B",
                        str(out), "-D", "CPACK_COMPONENTS_ALL=runtime",
                        "-D", "CPACK_DEBIAN_COMPRESSION_TYPE=gzip"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    debs = sorted(out.glob("*.deb"))
    assert len(debs) == 1, debs
    assert re.fullmatch(r"squall_\d+\.\d+\.\d+-1_[a-z0-9]+\.deb", debs[0].name), debs[0].name
    yield debs[0]
    shutil.rmtree(out)  # the package and CPack's staging copy: not kept with pytest's tmp


def control(deb):
    r = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    fields, key = {}, None
    for line in r.stdout.splitlines():
        if line.startswith(" ") and key:
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(": ")
            fields[key] = value
    return fields


def linked_library_packages(binary):
    """The Debian packages that own the shared libraries `binary` needs (readelf + dpkg -S)."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                                       timeout=30).stdout)
    assert needed, "readelf found no NEEDED entries in " + binary
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30).stdout
    packages = {}
    for lib in needed:
        m = re.search(re.escape(lib) + r" => (\S+)", ldd)
        assert m, "ldd cannot resolve " + lib
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(m.group(1))], capture_output=True,
                               text=True, timeout=30)
        if owner.returncode != 0:  # a library outside any package: nothing to depend on
            continue
        package = owner.stdout.split(":")[0]
        # dpkg-shlibdeps names what the library's shlibs file says, which may be a virtual
        # package the owner provides (libspdlog1.10 provides libspdlog1.10-fmt9).
        provides = subprocess.run(["dpkg-query", "-W", "-f=${Provides}", package],
                                  capture_output=True, text=True, timeout=30).stdout
        packages[lib] = {package} | {p.strip().split(" ")[0] for p in provides.split(",")
                                     if p.strip()}
    return packages


def test_depends_names_every_linked_library_and_python(deb, squall):
    fields = control(deb)
    assert fields["Package"] == "squall"
    depends = {d.strip().split(" ")[0] for d in fields["Depends"].split(",")}
    assert "python3" in depends, fields["Depends"]
    libs = linked_library_packages(squall.binary)
    for lib in ("libyaml-cpp", "librdkafka", "libcrypto", "libfmt", "libspdlog"):
        assert any(name.startswith(lib) for name in libs), (lib, libs)
    missing = {lib: names for lib, names in libs.items() if not names & depends}
    assert not missing, "Depends lacks {} ({})".format(missing, fields["Depends"])
    assert not any(re.search(r"java|jre|jdk", d) for d in depends), fields["Depends"]
    # Packed relocations (DT_RELR) load only with glibc 2.36 or later.
    versions = subprocess.run(["objdump", "-p", squall.binary], capture_output=True, text=True,
                              timeout=30).stdout
    if "GLIBC_ABI_DT_RELR" in versions:
        assert "libc6 (>= 2.36)" in fields["Depends"], fields["Depends"]


def test_package_holds_the_command_alias_and_python_package(deb):
    r = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    listing = r.stdout
    for path in ("./usr/bin/squall", "./usr/bin/storm -> squall",
                 "./usr/share/squall/python/squall/__init__.py",
                 "./usr/share/squall/python/squall/dsl/export.py",
                 "./usr/share/squall/python/streamparse/__init__.py",
                 "./usr/share/squall/python/pystorm/__init__.py",
                 "./usr/share/squall/python/storm.py", "./usr/share/squall/storm.yaml",
                 "./usr/share/doc/squall/copyright", "./usr/share/doc/squall/changelog.Debian.gz",
                 "./usr/share/doc/squall/examples/wordcount.py",
                 "./usr/lib/systemd/system/squall-nimbus.service",
                 "./usr/lib/systemd/system/squall-ui.service"):
        assert path in listing, path
    # Headers and static libraries belong to squall-dev, caches to no package.
    for absent in ("./usr/include/", ".a\n", "__pycache__", ".pyc"):
        assert absent not in listing, absent


def test_lintian_finds_no_errors(deb):
    if not shutil.which("lintian"):
        pytest.skip("lintian is not installed (Debian: lintian)")
    r = subprocess.run(["lintian", "--allow-root", str(deb)], capture_output=True, text=True,
                       timeout=300)
    errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
    assert not errors, r.stdout + r.stderr


def test_package_contents_run_the_word_count(deb, tmp_path, multilang):
    root = tmp_path / "root"
    r = subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    examples = shutil.copytree(root / "usr" / "share" / "doc" / "squall" / "examples",
                               tmp_path / "examples")
    try:
        out = run_until([str(root / "usr" / "bin" / "squall"), "run", "wordcount.py",
                         "--kill-wait", "1"], examples, '["the", 4]')
    finally:
        shutil.rmtree(root)
    assert "killed" in out


def dockerfile_instructions(path):
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = open(path, encoding="utf-8").read()
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines()
                                            if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0], line.split(None, 1)[1] if " " in line.strip() else "")
            for line in (l.strip() for l in joined.splitlines()) if line]


def test_dockerfile_installs_the_package_cpack_makes(deb):
    steps = dockerfile_instructions(DOCKERFILE)
    known = {"FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "WORKDIR", "USER", "ENTRYPOINT", "CMD",
             "LABEL", "EXPOSE", "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "ONBUILD"}
    assert all(op in known for op, _ in steps), steps
    assert steps[0] == ("FROM", "debian:bookworm-slim"), steps[0]
    copies = [args.split() for op, args in steps if op == "COPY"]
    assert copies, "the Dockerfile copies no package in"
    sources = [src for args in copies for src in args[:-1] if not src.startswith("--")]
    assert any(fnmatch.fnmatch(deb.name, src) for src in sources), (sources, deb.name)
    install = " ".join(args for op, args in steps if op == "RUN")
    assert re.search(r"apt-get install .*squall_\*_amd64\.deb", install), install
    entry = [args for op, args in steps if op == "ENTRYPOINT"]
    assert entry and '"squall"' in entry[0], entry


@pytest.mark.skipif(os.environ.get("SQUALL_TEST_SYSTEM_INSTALL") != "1" or os.geteuid() != 0,
                    reason="installs into the system: only where SQUALL_TEST_SYSTEM_INSTALL=1 "
                           "(set by .ci/run on its fresh machine) and as root")
def test_apt_installs_the_package_and_the_demo_runs_from_it(deb, tmp_path, multilang):
    """What an operator does: `apt install ./squall_*.deb`, then run from /usr/bin alone."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", str(deb)],
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    try:
        assert shutil.which("squall", path="/usr/bin") == "/usr/bin/squall"
        examples = shutil.copytree("/usr/share/doc/squall/examples", tmp_path / "examples")
        out = run_until(["/usr/bin/squall", "run", "wordcount.py", "--kill-wait", "1"], examples,
                        '["the", 4]')
        assert "killed" in out
    finally:
        r = subprocess.run(["dpkg", "--purge", "squall"], capture_output=True, text=True,
                           timeout=300, env=env)
        assert r.returncode == 0, r.stdout + r.stderr


def test_systemd_unit_runs_the_installed_nimbus():
    """packaging/systemd/squall-nimbus.service: sections and keys systemd reads, and a command
    line that the installed binary accepts."""
    import configparser
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(os.path.join(ROOT, "packaging", "systemd", "squall-nimbus.service"))
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    exec_start = unit["Service"]["ExecStart"].split()
    assert exec_start[:2] == ["/usr/bin/squall", "nimbus"], exec_start
    assert unit["Service"]["StateDirectory"] == "squall"
    assert "storm.local.dir=/var/lib/squall" in exec_start
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    if shutil.which("systemd-analyze"):
        r = subprocess.run(["systemd-analyze", "verify",
                            os.path.join(ROOT, "packaging", "systemd", "squall-nimbus.service")],
                           capture_output=True, text=True, timeout=60)
        # The binary is not installed where the tests run: that one complaint is expected.
        problems = [line for line in (r.stdout + r.stderr).splitlines()
                    if line.strip() and "/usr/bin/squall is not executable" not in line]
        assert not problems, problems


def test_systemd_unit_runs_the_cluster_ui():
    """packaging/systemd/squall-ui.service: `squall ui` after nimbus, stateless, and a unit
    systemd accepts."""
    import configparser
    path = os.path.join(ROOT, "packaging", "systemd", "squall-ui.service")
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(path)
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    exec_start = unit["Service"]["ExecStart"].split()
    assert exec_start == ["/usr/bin/squall", "ui", "$SQUALL_UI_ARGS"], exec_start
    assert "squall-nimbus.service" in unit["Unit"]["After"]
    assert unit["Service"]["EnvironmentFile"] == "-/etc/default/squall-ui"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    if shutil.which("systemd-analyze"):
        r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True,
                           timeout=60)
        problems = [line for line in (r.stdout + r.stderr).splitlines()
                    if line.strip() and "/usr/bin/squall is not executable" not in line]
        assert not problems, problems
