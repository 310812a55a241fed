"""A project made by `sparse quickstart` (tests/e2e/sparse_quickstart, unchanged: config.json,
topologies/wordcount.py, src/spouts/words.py, src/bolts/wordcount.py) runs with `squall run`,
by path or by name from the project folder, with sparse run's flags."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import DEADLINE_SECS, E2E, ROOT, merged_env, rel

PROJECT = os.path.join(E2E, "sparse_quickstart")
# WordCountBolt logs "counted [N] words [pid=P]" when its total is a multiple of 1000.
COUNTED = " words [pid="


def run_in(squall, folder, *args):
    return subprocess.run([squall.binary, *args], cwd=folder, capture_output=True, text=True,
                          timeout=DEADLINE_SECS, env=merged_env({"PYTHONDONTWRITEBYTECODE": "1"}))


def run_until_counted(squall, folder, *args, also=()):
    """`squall ARGS` from `folder` until the bolt has counted (and every line of `also` is
    printed), then Ctrl-C; the run's -t/--time stays the bound."""
    return squall.run_until(*args, cwd=folder, env={"PYTHONDONTWRITEBYTECODE": "1"},
                            done=lambda out: COUNTED in out and all(a in out for a in also))


def test_quickstart_project_runs_by_path(squall, multilang):
    r = run_until_counted(squall, ROOT, "run", rel(os.path.join(PROJECT, "topologies",
                                                                  "wordcount.py")),
                          "--time", "6", "--kill-wait", "0")
    output = r.stdout + r.stderr
    assert r.returncode == 0, output
    assert "running topology 'wordcount'" in output, output
    assert COUNTED in output, output


def test_quickstart_project_runs_with_sparse_run_s_command_line(squall, multilang):
    # As `sparse run -n wordcount -t 5 -o key=value`, from the project folder.
    r = run_until_counted(squall, PROJECT, "run", "-n", "wordcount", "-t", "6", "-o",
                          "topology.max.spout.pending=500", "--kill-wait", "0")
    output = r.stdout + r.stderr
    assert r.returncode == 0, output
    assert "running topology 'wordcount' from topologies/wordcount.py" in output, output
    assert COUNTED in output, output


def test_topology_name_as_the_file_argument(squall):
    r = run_in(squall, PROJECT, "describe", "wordcount")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "word_spout" in r.stdout and "count_bolt" in r.stdout, r.stdout
    r = run_in(squall, PROJECT, "validate", "nosuchtopology")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "nosuchtopology: error: no such file" in r.stderr, r.stderr


@pytest.fixture()
def project_copy(tmp_path):
    dest = tmp_path / "proj"
    shutil.copytree(PROJECT, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_config_json_serializer_and_options_reach_the_components(squall, multilang,
                                                                  project_copy):
    pytest.importorskip("msgpack", reason="python3-msgpack is not installed")
    config = json.loads((project_copy / "config.json").read_text())
    config["serializer"] = "msgpack"
    config["envs"]["prod"]["options"] = {"squall.test.option": "from-config-json",
                                         "topology.debug": False}
    (project_copy / "config.json").write_text(json.dumps(config, indent=4))
    bolt = project_copy / "src" / "bolts" / "wordcount.py"
    bolt.write_text(bolt.read_text().replace(
        "        self.total = 0\n",
        "        self.total = 0\n"
        "        self.logger.info('serializer=%s option=%s override=%s', self.serializer,\n"
        "                         conf.get('squall.test.option'), conf.get('squall.test.cli'))\n"))
    r = run_until_counted(squall, str(project_copy), "run", "topologies/wordcount.py", "-t", "6",
                          "-o", "squall.test.cli=from-cli", "--kill-wait", "0",
                          also=["serializer=msgpack option=from-config-json override=from-cli"])
    output = r.stdout + r.stderr
    assert r.returncode == 0, output
    assert "serializer=msgpack option=from-config-json override=from-cli" in output, output
    assert COUNTED in output, output


def test_component_serializer_choice_is_kept(squall, multilang, project_copy):
    pytest.importorskip("msgpack", reason="python3-msgpack is not installed")
    bolt = project_copy / "src" / "bolts" / "wordcount.py"
    bolt.write_text(bolt.read_text().replace(
        '    outputs = ["word", "count"]\n',
        '    outputs = ["word", "count"]\n    serializer = "msgpack"\n').replace(
        "        self.total = 0\n",
        "        self.total = 0\n        self.logger.info('bolt speaks %s', self.serializer)\n"))
    r = run_until_counted(squall, str(project_copy), "run", "wordcount", "-t", "6",
                          "--kill-wait", "0", also=["bolt speaks msgpack"])
    output = r.stdout + r.stderr
    assert r.returncode == 0, output
    assert "bolt speaks msgpack" in output, output
    assert COUNTED in output, output


def test_serializer_mismatch_is_one_clear_error(squall, multilang, project_copy):
    pytest.importorskip("msgpack", reason="python3-msgpack is not installed")
    # A script written on pystorm's API that picks msgpack in its code, run by a JSON engine.
    (project_copy / "src" / "msgpack_bolt.py").write_text(
        "from pystorm import Bolt\n\n\n"
        "class Quiet(Bolt):\n"
        "    def process(self, tup):\n"
        "        pass\n\n\n"
        "Quiet(serializer='msgpack').run()\n")
    topo = project_copy / "topologies" / "wordcount.py"
    topo.write_text(topo.read_text().replace(
        "from streamparse import Grouping, Topology",
        "from streamparse import Grouping, ShellBolt, Topology") + (
        '    quiet = ShellBolt.spec(command="python3", script="msgpack_bolt.py",\n'
        '                           inputs=[word_spout])\n'))
    r = run_in(squall, str(project_copy), "run", "wordcount", "--kill-wait", "0")
    output = r.stdout + r.stderr
    assert r.returncode == 3, output
    assert "serializer mismatch: this component speaks msgpack" in r.stderr, output
    assert "the engine speaks json" in r.stderr, output
    assert "crashed" not in r.stderr, output  # the first failure ends the run
