"""`squall package` makes a topology's jar (Storm's layout: resources/, squall-python/ with
wheels built offline), `squall unpack` does with it what a supervisor does (extract, then build
the Python environment once per content hash), and `squall submit` uploads it to a real
`squall nimbus` and submits the topology, which `squall list` then shows."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import textwrap
import zipfile

import pytest

from conftest import ROOT, wait_for_output
from test_nimbus_thrift import DEADLINE, free_port


def entries(jar):
    with zipfile.ZipFile(jar) as z:
        return {i.filename: i for i in z.infolist()}


def test_package_flux_topology(squall, tmp_path):
    jar = tmp_path / "out" / "wc.jar"
    r = squall.run("package", "examples/wordcount.yaml", "-o", str(jar))
    assert r.returncode == 0, r.stderr
    assert "topology 'wordcount'" in r.stdout
    names = entries(jar)
    for name in ("resources/wordcount.yaml", "resources/splitsentence.py",
                 "resources/random_sentence_spout.py", "META-INF/MANIFEST.MF"):
        assert name in names, sorted(names)
    assert not any(n.startswith("squall-python/") for n in names)  # no requirements
    with zipfile.ZipFile(jar) as z:
        manifest = z.read("META-INF/MANIFEST.MF").decode()
    assert "Squall-Topology-File: resources/wordcount.yaml" in manifest
    # The same files make the same jar (nimbus stores jars by content).
    again = tmp_path / "again.jar"
    assert squall.run("package", "examples/wordcount.yaml", "-o", str(again)).returncode == 0
    assert jar.read_bytes() == again.read_bytes()

    # As a supervisor: extract, then the topology file loads from the extracted resources/.
    dest = tmp_path / "stormdist" / "wordcount-1-1"
    r = squall.run("unpack", str(jar), str(dest))
    assert r.returncode == 0, r.stderr
    r = squall.run("validate", str(dest / "resources" / "wordcount.yaml"))
    assert r.returncode == 0, r.stderr


def make_dsl_project(root):
    """A DSL topology whose bolt imports a local package, greetlib, listed in requirements.txt
    as a path: it is built into a wheel at package time with no index."""
    (root / "greetlib" / "greetlib").mkdir(parents=True)
    (root / "greetlib" / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "greetlib"
        version = "1.0"
        """))
    (root / "greetlib" / "greetlib" / "__init__.py").write_text(
        "def greet(word):\n    return 'hello ' + word\n")
    (root / "requirements.txt").write_text("# what the bolts import\n./greetlib\n")
    (root / "resources").mkdir()
    (root / "resources" / "greet_bolt.py").write_text(textwrap.dedent("""\
        from squall import Bolt


        class GreetBolt(Bolt):
            outputs = ["greeting"]

            def process(self, tup):
                import greetlib  # installed in the topology's environment, not here
                self.emit([greetlib.greet(tup.values[0])])
        """))
    (root / "greet.py").write_text(textwrap.dedent("""\
        from greet_bolt import GreetBolt

        from squall.dsl import JavaSpout, Topology


        class Greet(Topology):
            words = JavaSpout.spec(full_class_name="org.apache.storm.testing.TestWordSpout",
                                   outputs=["word"])
            greet = GreetBolt.spec(inputs=[words], par=2)
        """))


def test_package_dsl_project_with_a_local_dependency(squall, tmp_path):
    project = tmp_path / "project"
    make_dsl_project(project)
    jar = tmp_path / "greet.jar"
    r = squall.run("package", str(project / "greet.py"), "-o", str(jar))
    assert r.returncode == 0, r.stderr
    assert "1 wheel" in r.stdout
    names = entries(jar)
    assert "resources/greet.py" in names and "resources/greet_bolt.py" in names, sorted(names)
    wheels = [n for n in names if n.startswith("squall-python/wheels/") and n.endswith(".whl")]
    assert [os.path.basename(w) for w in wheels] == ["greetlib-1.0-py3-none-any.whl"]
    with zipfile.ZipFile(jar) as z:
        manifest = json.loads(z.read("squall-python/manifest.json"))
    assert manifest["requirements"] == ["greetlib==1.0"]
    assert manifest["interpreter"] == "python3" and manifest["version"].startswith("3.")

    # As a supervisor: extract, build the virtualenv offline; the dependency imports there.
    cache = tmp_path / "venvs"
    dest = tmp_path / "stormdist" / "greet-1-1"
    r = squall.run("unpack", str(jar), str(dest), "--python-cache", str(cache),
                   env={"PIP_INDEX_URL": "http://127.0.0.1:9/unreachable"})
    assert r.returncode == 0, r.stderr
    assert "(built)" in r.stdout, r.stdout
    python = r.stdout.split("python: ")[1].split(" (")[0]
    assert python.startswith(str(cache))
    out = subprocess.run([python, "-c", "import greetlib; print(greetlib.greet('storm'))"],
                         capture_output=True, text=True, timeout=DEADLINE)
    assert out.stdout.strip() == "hello storm", out.stderr
    # A second jar with the same squall-python/ reuses that environment.
    r = squall.run("unpack", str(jar), str(tmp_path / "stormdist" / "greet-2-2"),
                   "--python-cache", str(cache))
    assert r.returncode == 0, r.stderr
    assert "(from the cache)" in r.stdout and python in r.stdout


def test_package_streamparse_project_by_name(squall, tmp_path):
    project = tmp_path / "sparse"
    shutil.copytree(os.path.join(ROOT, "tests", "e2e", "sparse_quickstart"), project)
    jar = tmp_path / "wc.jar"
    r = subprocess.run([squall.binary, "package", "wordcount", "-o", str(jar)], cwd=project,
                       capture_output=True, text=True, timeout=DEADLINE)
    assert r.returncode == 0, r.stderr
    # virtualenvs/wordcount.txt names streamparse, which Squall's Python package provides.
    assert "streamparse is provided by Squall" in r.stderr
    names = entries(jar)
    for name in ("resources/bolts/wordcount.py", "resources/spouts/words.py",
                 "resources/wordcount.py"):
        assert name in names, sorted(names)
    assert not any(n.startswith("squall-python/") for n in names)


def test_package_names_a_requirement_it_cannot_build_offline(squall, tmp_path):
    project = tmp_path / "project"
    make_dsl_project(project)
    (project / "requirements.txt").write_text("no-such-package-anywhere==9.9\n")
    r = squall.run("package", str(project / "greet.py"), "-o", str(tmp_path / "x.jar"))
    assert r.returncode == 1
    assert "requirements.txt" in r.stderr and "no-such-package-anywhere" in r.stderr, r.stderr
    assert not (tmp_path / "x.jar").exists()


@pytest.fixture
def nimbus(squall, tmp_path):
    port = free_port()
    local = tmp_path / "nimbus-local"
    proc = squall.start("nimbus", "-c", "nimbus.thrift.port={}".format(port),
                        "-c", "storm.local.dir={}".format(local),
                        "-c", "nimbus.thrift.max_buffer_size=65536")
    try:
        wait_for_output(proc, "serving Storm's Nimbus Thrift service", DEADLINE)
        yield port, local
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_submit_to_nimbus(squall, nimbus, tmp_path):
    port, local = nimbus
    storm_yaml = tmp_path / "storm.yaml"
    storm_yaml.write_text('nimbus.seeds: ["127.0.0.1"]\nnimbus.thrift.port: {}\n'.format(port))
    r = squall.run("submit", "examples/wordcount.yaml", "--config", str(storm_yaml),
                   "-c", "topology.workers=2")
    assert r.returncode == 0, r.stderr
    assert "Successfully uploaded topology jar" in r.stdout
    assert "Finished submitting topology: wordcount" in r.stdout
    ids = [l.split(": ")[1] for l in r.stdout.splitlines() if l.startswith("Topology id: ")]
    assert len(ids) == 1 and ids[0].startswith("wordcount-"), r.stdout

    listed = squall.run("list", "--config", str(storm_yaml))
    assert listed.returncode == 0, listed.stderr
    row = [l.split() for l in listed.stdout.splitlines() if l.startswith("wordcount ")]
    assert row and row[0][1] == "ACTIVE" and row[0][3] == "2" and row[0][5] == ids[0], \
        listed.stdout

    # Nimbus keeps the jar by content: the same bytes `squall package` makes.
    jar = tmp_path / "wordcount.jar"
    assert squall.run("package", "examples/wordcount.yaml", "-o", str(jar)).returncode == 0
    digest = hashlib.sha256(jar.read_bytes()).hexdigest()
    stored = [f for _, _, files in os.walk(local) for f in files]
    assert digest in stored, stored

    # A second submission of a live name is refused with Storm's exception.
    again = squall.run("submit", "examples/wordcount.yaml", "--config", str(storm_yaml))
    assert again.returncode == 1
    assert "AlreadyAliveException" in again.stderr, again.stderr

    # The Python DSL too, under another name, inactive (-i), with sparse's -o for config.
    dsl = squall.run("submit", "examples/wordcount.py", "-n", "wc-dsl", "-i",
                     "--config", str(storm_yaml), "-o", "topology.max.spout.pending=10")
    assert dsl.returncode == 0, dsl.stderr
    listed = squall.run("list", "--config", str(storm_yaml)).stdout
    assert any(l.split()[:2] == ["wc-dsl", "INACTIVE"] for l in listed.splitlines()), listed


def test_submit_refuses_an_invalid_name_before_uploading(squall, nimbus, tmp_path):
    port, local = nimbus
    r = squall.run("submit", "examples/test_words.yaml", "-n", "bad.name",
                   "-c", 'nimbus.seeds=["127.0.0.1"]', "-c", "nimbus.thrift.port={}".format(port))
    assert r.returncode == 1
    assert "bad.name" in r.stderr and "illegal characters" in r.stderr, r.stderr
    listed = squall.run("list", "-c", 'nimbus.seeds=["127.0.0.1"]',
                        "-c", "nimbus.thrift.port={}".format(port))
    assert listed.stdout.strip() == "No topologies running.", listed.stdout


def test_submit_without_nimbus_says_so(squall, tmp_path):
    r = squall.run("submit", "examples/test_words.yaml", "-c", 'nimbus.seeds=["127.0.0.1"]',
                   "-c", "nimbus.thrift.port={}".format(free_port()))
    assert r.returncode == 1
    assert "127.0.0.1" in r.stderr, r.stderr


def test_storm_jar_remote_submits(squall, nimbus):
    port, _ = nimbus
    seeds = ["-c", 'nimbus.seeds=["127.0.0.1"]', "-c", "nimbus.thrift.port={}".format(port)]
    # `storm jar X.jar org.apache.storm.flux.Flux --remote FILE`, as Storm users launch it.
    r = squall.run("jar", "topology.jar", "org.apache.storm.flux.Flux", "--remote",
                   "examples/test_words.yaml", *seeds)
    assert r.returncode == 0, r.stderr
    assert "Finished submitting topology: test-words" in r.stdout
    listed = squall.run("list", *seeds).stdout
    assert any(l.split()[:2] == ["test-words", "ACTIVE"] for l in listed.splitlines()), listed
