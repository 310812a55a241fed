"""Flux files as Apache Storm's own examples and users' Java write them (tests/e2e/storm/):
the KafkaSpout builder form, KafkaBolt's configMethods, classpath includes, Flux's command line
and Storm's `storm local` / `storm jar ... org.apache.storm.flux.Flux` launch forms, every
error reported at once, Java-only classes named as such."""

import os
import shutil
import signal
import subprocess

import pytest

from conftest import E2E, ROOT, rel
from test_kafka_e2e import DevKafka, dev_kafka_command, wait_for

STORM = os.path.join(E2E, "storm")
KAFKA_SPOUT = "org.apache.storm.kafka.spout.KafkaSpout"


def storm_file(name):
    return rel(os.path.join(STORM, name))


@pytest.fixture(scope="module")
def kafka_classes(squall):
    if KAFKA_SPOUT not in squall.classes():
        pytest.skip("this squall binary was built without the Kafka components")


def test_storms_kafka_spout_example_validates_and_describes(squall, kafka_classes, multilang):
    path = storm_file("kafka_spout.yaml")
    r = squall.run("validate", path)
    assert r.returncode == 0, r.stderr
    assert "topology 'kafka-topology' is valid: 1 spout, 3 bolts" in r.stdout
    d = squall.run("describe", path)
    assert d.returncode == 0, d.stderr
    spout = next(l for l in d.stdout.splitlines() if l.strip().startswith("kafka-spout"))
    # OnlyValueRecordTranslator (Storm's flux-examples) emits the value alone.
    assert KAFKA_SPOUT in spout and "default [value]" in spout


def test_builder_methods_retry_and_translators_validate(squall, kafka_classes, multilang):
    r = squall.run("describe", "-e", storm_file("kafka_builder_methods.yaml"),
                   env={"SQUALL_E2E_BOOTSTRAP": "127.0.0.1:9"})
    assert r.returncode == 0, r.stderr
    spout = next(l for l in r.stdout.splitlines() if l.strip().startswith("kafka-spout"))
    assert "[topic, partition, offset, key, value]" in spout
    assert "org.apache.storm.kafka.bolt.KafkaBolt" in r.stdout


@pytest.mark.parametrize("change, expected", [
    ('name: "setMaxUncommittedOffsets"', "has no config method 'setMaxUncommitedOffsets'"),
    ("args: [AT_LEAST_ONCE]", "unknown processing.guarantee 'EXACTLY_ONCE'"),
    ("constructorArgs: [500, MICROSECONDS]", "unknown TimeUnit 'FORTNIGHTS'"),
])
def test_builder_mistakes_name_the_component_and_the_supported_form(squall, kafka_classes,
                                                                     multilang, tmp_path, change,
                                                                     expected):
    text = open(os.path.join(STORM, "kafka_builder_methods.yaml")).read()
    bad = {
        'name: "setMaxUncommittedOffsets"': 'name: "setMaxUncommitedOffsets"',
        "args: [AT_LEAST_ONCE]": "args: [EXACTLY_ONCE]",
        "constructorArgs: [500, MICROSECONDS]": "constructorArgs: [500, FORTNIGHTS]",
    }[change]
    assert change in text
    shutil.copytree(os.path.join(STORM, "resources"), tmp_path / "resources")
    topo = tmp_path / "topo.yaml"
    topo.write_text(text.replace(change, bad))
    r = squall.run("validate", str(topo), "-e", env={"SQUALL_E2E_BOOTSTRAP": "127.0.0.1:9"})
    assert r.returncode == 1
    assert expected in r.stderr, r.stderr
    assert f"{topo}:" in r.stderr and "error:" in r.stderr
    if "config method" in expected:
        assert "the supported ones are setProp, setGroupId" in r.stderr


def test_every_error_is_reported_and_java_classes_are_named(squall, kafka_classes):
    r = squall.run("validate", storm_file("java_only.yaml"))
    assert r.returncode == 1
    err = r.stderr
    path = storm_file("java_only.yaml")
    assert f"{path}:44: error: unknown grouping type 'SIDEWAYS'" in err
    assert (f"{path}:19: error: spout 'kafka'" in err
            and "'com.example.MyRecordTranslator' is Java code" in err
            and "DefaultRecordTranslator" in err)
    assert (f"{path}:26: error: bolt 'hdfs': unknown class 'org.apache.storm.hdfs.bolt.HdfsBolt': "
            "it is a Java class of Apache Storm that Squall does not implement") in err
    assert (f"{path}:31: error: bolt 'mine': unknown class 'com.example.MyBolt': it is a Java "
            "class (from a jar), and Squall runs no JVM") in err
    assert "write the component in Python" in err
    assert "squall: 4 errors" in err


def test_invalid_multilang_serializer_fails_validate(squall):
    r = squall.run("validate", storm_file("bad_serializer.yaml"))
    assert r.returncode == 1
    assert (storm_file("bad_serializer.yaml") + ":3: error: topology.multilang.serializer: "
            "unknown multilang serializer 'org.example.ProtobufSerializer'") in r.stderr


def test_resource_include_with_leading_slash_and_its_script(squall, multilang, tmp_path):
    r = squall.run("describe", storm_file("resource_include.yaml"))
    assert r.returncode == 0, r.stderr
    assert "FluxShellBolt: python3 splitsentence.py" in r.stdout
    # -R: the topology file itself is a classpath resource, here in a Maven project's
    # src/main/resources/ (the scripts in its resources/ folder).
    project = tmp_path / "project"
    shutil.copytree(STORM, project / "src" / "main" / "resources")
    r = subprocess.run([squall.binary, "run", "-R", "--dry-run", "/resource_include.yaml"],
                       cwd=project, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "dry run: topology 'resource-include' is valid" in r.stdout
    missing = squall.run("run", "-R", "--dry-run", "/configs/nothing.yaml")
    assert missing.returncode == 1
    assert "no such classpath resource (-R)" in missing.stderr


def test_env_substitution_only_with_env_filter(squall, tmp_path):
    topo = tmp_path / "env.yaml"
    topo.write_text('name: "${ENV-SQUALL_E2E_NAME}"\n'
                    'spouts:\n  - id: "w"\n    className: "org.apache.storm.testing.TestWordSpout"\n'
                    'bolts:\n  - id: "c"\n    className: "org.apache.storm.testing.TestWordCounter"\n'
                    'streams:\n  - {from: "w", to: "c", grouping: {type: SHUFFLE}}\n')
    env = {"SQUALL_E2E_NAME": "from-env"}
    with_e = squall.run("validate", "-e", str(topo), env=env)
    assert with_e.returncode == 0, with_e.stderr
    assert "topology 'from-env' is valid" in with_e.stdout
    without = squall.run("validate", str(topo), env=env)
    # As in Flux, the text stays as written; the name is then not a valid topology name.
    assert "only with -e/--env-filter" in without.stderr
    assert "from-env" not in without.stdout + without.stderr


def test_flux_flags_dry_run_detail_and_quiet(squall):
    path = storm_file("resource_include.yaml")
    r = squall.run("run", "--local", "--dry-run", "--no-splash", "-i", "-z", "localhost:2181", path)
    assert r.returncode == 0, r.stderr
    assert "---------- TOPOLOGY DETAILS ----------" in r.stdout
    assert "sentences --shuffle--> split" in r.stdout
    assert "dry run: topology 'resource-include' is valid; not running it" in r.stdout
    q = squall.run("run", "-d", "-q", "-n", path)
    assert q.returncode == 0, q.stderr
    assert "TOPOLOGY DETAILS" not in q.stdout
    # --remote submits (test_package_submit.py); with no nimbus there, it says so.
    remote = squall.run("run", "--remote", path, "-c", "nimbus.thrift.port=1")
    assert remote.returncode == 1
    assert "could not find leader nimbus" in remote.stderr, remote.stderr


def test_run_length_options_conflict_with_a_sentence(squall):
    r = squall.run("run", "--local-ttl", "2", "--duration", "1", storm_file("resource_include.yaml"))
    assert r.returncode == 2
    assert "give only one of them" in r.stderr
    assert "--duration" in r.stderr and "--local-ttl" in r.stderr


def test_unknown_command_lists_every_command(squall):
    r = squall.run("frobnicate")
    assert r.returncode == 2
    for cmd in ("run", "validate", "describe", "classes", "version", "local", "jar", "storm"):
        assert cmd in r.stderr
    if KAFKA_SPOUT in squall.classes():
        assert "dev-kafka" in r.stderr


def test_sleep_runs_for_the_given_milliseconds(squall):
    r = squall.run("run", "--sleep", "1500", "-q", "--quiet", storm_file("resource_include.yaml"),
                   timeout=90)
    assert r.returncode == 0, r.stderr
    assert "[info]" not in r.stdout + r.stderr  # --quiet: warnings and errors only


@pytest.mark.parametrize("form", [
    ["storm", "local", "topology.jar", "org.apache.storm.flux.Flux", "--dry-run"],
    ["storm", "local", "--local-ttl", "5", "--dry-run"],
    ["local", "--dry-run"],
    ["jar", "topology.jar", "org.apache.storm.flux.Flux", "--local", "--dry-run"],
])
def test_storm_launch_forms(squall, form):
    r = squall.run(*form, storm_file("resource_include.yaml"))
    assert r.returncode == 0, r.stderr
    assert "Topology Name: resource-include" in r.stdout


def test_storm_jar_without_local_and_java_main_classes(squall):
    path = storm_file("resource_include.yaml")
    r = squall.run("jar", "topology.jar", "org.apache.storm.flux.Flux", path,
                   "-c", "nimbus.thrift.port=1")
    assert r.returncode == 1 and "could not find leader nimbus" in r.stderr, r.stderr
    r = squall.run("storm", "jar", "topology.jar", "com.example.WordCountTopology", "--local")
    assert r.returncode == 2 and "names the Java main class 'com.example.WordCountTopology'" in r.stderr
    r = squall.run("storm", "kill", "wordcount")
    assert r.returncode == 2 and "storm local" in r.stderr


def test_a_link_named_storm_runs_storm_local(squall, tmp_path):
    link = tmp_path / "storm"
    link.symlink_to(os.path.abspath(squall.binary))
    r = subprocess.run([str(link), "local", "target/app.jar", "org.apache.storm.flux.Flux",
                        "--local-ttl", "1", os.path.join(STORM, "resource_include.yaml")],
                       cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr
    assert "Topology Name: resource-include" in r.stdout
    assert "topology 'resource-include' killed" in r.stdout + r.stderr


def test_builder_form_against_the_dev_cluster(squall, kafka_classes, multilang, tmp_path):
    dev_cmd = dev_kafka_command(squall.binary)
    kcat = shutil.which("kcat")
    if not dev_cmd:
        pytest.skip("no squall-dev-kafka (build src/kafka) and no `squall dev-kafka`")
    if not kcat:
        pytest.skip("kcat is not installed (Debian package kcat; scripts/setup.sh installs it)")
    dev = DevKafka(dev_cmd, tmp_path, ["sentences:2", "other:1", "words:2"])
    run = None
    try:
        sentences = [f"alpha{i} beta{i}" for i in range(50)]
        subprocess.run([kcat, "-b", dev.bootstrap, "-P", "-t", "sentences"],
                       input="\n".join(sentences) + "\n", text=True, check=True, timeout=60)
        log = open(tmp_path / "squall.log", "w")
        run = subprocess.Popen([squall.binary, "storm", "local", "app.jar",
                                "org.apache.storm.flux.Flux", "-e", "--local-ttl", "120",
                                os.path.join(STORM, "kafka_builder_methods.yaml")],
                               stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "SQUALL_E2E_BOOTSTRAP": dev.bootstrap})
        expected = {w for s in sentences for w in s.split()}
        seen = set()

        def all_words():
            got = subprocess.run([kcat, "-b", dev.bootstrap, "-C", "-t", "words", "-o",
                                  "beginning", "-e", "-q", "-f", "%k=%s\\n"],
                                 capture_output=True, text=True, timeout=30)
            for line in got.stdout.split():
                k, _, v = line.partition("=")
                assert k == v, line  # FieldNameBasedTupleToKafkaMapper("word", "word")
                seen.add(k)
            assert run.poll() is None, (tmp_path / "squall.log").read_text()
            return expected <= seen

        wait_for(all_words, 90, "every word in the 'words' topic")
        wait_for(lambda: dev.committed_at_end("flux-e2e-group", "sentences"), 30,
                 "the spout's committed offsets (group from setGroupId) to reach the end")
    finally:
        if run and run.poll() is None:
            run.send_signal(signal.SIGINT)
            try:
                run.wait(timeout=60)
            except subprocess.TimeoutExpired:
                run.kill()
                run.wait()
        dev.stop()


SHELL_TOPOLOGY = '''\
name: "shell-setters"
spouts:
  - id: "words"
    className: "org.apache.storm.testing.TestWordSpout"
bolts:
  - id: "split"
    className: "org.apache.storm.flux.wrappers.bolts.FluxShellBolt"
    constructorArgs:
      - ["python3", "splitsentence.py"]
    properties:
      - name: "{prop}"
        value: {{GREETING: "hi"}}
    configMethods:
      - name: "setDefaultStream"
        args: [["word"]]
      - name: "setNamedStream"
        args: ["errors", ["reason"]]
      - name: "addComponentConfig"
        args: ["topology.tick.tuple.freq.secs", 5]
streams:
  - from: "words"
    to: "split"
    grouping: {{type: SHUFFLE}}
'''


def test_shell_component_properties_and_config_methods(squall, multilang, tmp_path):
    shutil.copytree(os.path.join(STORM, "resources"), tmp_path / "resources")
    topo = tmp_path / "shell.yaml"
    topo.write_text(SHELL_TOPOLOGY.format(prop="env"))
    r = squall.run("describe", str(topo))
    assert r.returncode == 0, r.stderr
    split = next(l for l in r.stdout.splitlines() if l.strip().startswith("split"))
    assert "default [word]" in split and "errors [reason]" in split
    assert "topology.tick.tuple.freq.secs" in r.stdout
    topo.write_text(SHELL_TOPOLOGY.format(prop="cwd"))
    bad = squall.run("validate", str(topo))
    assert bad.returncode == 1
    assert f"{topo}:11: error: bolt 'split': FluxShellBolt has one property, env" in bad.stderr
