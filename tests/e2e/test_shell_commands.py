"""Shell components run as Storm runs them: the command as written, in the topology's
resources folder, whatever the interpreter is named (python3, an absolute path, a
virtualenv's bin/python, node) or when the command is an executable script."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

# Logs where it runs and with which interpreter, then acks every tuple.
PY_BOLT = textwrap.dedent("""\
    import os
    import sys

    import squall


    class WhereBolt(squall.Bolt):
        def initialize(self, conf, context):
            self.logger.info("bolt %s ran in %s venv=%s", self.component_name, os.getcwd(),
                             sys.prefix != sys.base_prefix)

        def process(self, tup):
            pass


    if __name__ == "__main__":
        WhereBolt().run()
    """)

# The multilang protocol by hand (JSON), as Storm's storm.js would speak it.
NODE_BOLT = textwrap.dedent("""\
    const fs = require("fs");
    let buf = "";
    let first = true;
    function send(m) { process.stdout.write(JSON.stringify(m) + "\\nend\\n"); }
    process.stdin.on("data", (chunk) => {
      buf += chunk;
      let at;
      while ((at = buf.indexOf("\\nend\\n")) >= 0) {
        const msg = JSON.parse(buf.slice(0, at));
        buf = buf.slice(at + 5);
        if (first) {
          first = false;
          fs.writeFileSync(msg.pidDir + "/" + process.pid, "");
          send({pid: process.pid});
          send({command: "log", msg: "bolt " + msg.context.componentid + " ran in " +
                process.cwd() + " venv=node", level: 2});
        } else if (msg.task === -1) {
          send({command: "sync"});
        } else {
          send({command: "ack", id: msg.id});
        }
      }
    });
    """)


def shell_bolt(name, command):
    return textwrap.dedent("""\
          - id: "{name}"
            className: "org.apache.storm.flux.wrappers.bolts.FluxShellBolt"
            constructorArgs:
              - {command}
        """).format(name=name, command=command)


def make_topology(folder, bolts):
    lines = ['name: "shell-commands"', "spouts:", '  - id: "words"',
             '    className: "org.apache.storm.testing.TestWordSpout"', "bolts:"]
    for name, command in bolts:
        lines.append(textwrap.indent(shell_bolt(name, command), "  ").rstrip())
    lines.append("streams:")
    for name, _ in bolts:
        lines += ['  - from: "words"', '    to: "{}"'.format(name), "    grouping:",
                  "      type: SHUFFLE"]
    path = os.path.join(folder, "topology.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


@pytest.fixture()
def project(tmp_path):
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "where_bolt.py").write_text(PY_BOLT)
    (resources / "where_bolt.js").write_text(NODE_BOLT)
    script = resources / "where_exec.py"
    script.write_text("#!/usr/bin/python3\n" + PY_BOLT)
    script.chmod(0o755)
    return tmp_path


def run_topology(squall, path, names, seconds="4"):
    """Runs until every named bolt has said where it ran (then Ctrl-C), at most `seconds`."""
    return squall.run_until("run", path, "--duration", seconds, "--kill-wait", "0",
                            env={"PYTHONDONTWRITEBYTECODE": "1"},
                            done=lambda out: all("bolt {} ran in ".format(n) in out
                                                 for n in names))


def test_every_form_of_command_runs_in_the_resources_folder(squall, multilang, project):
    venv = project / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    bolts = [
        ("py3", '["python3", "where_bolt.py"]'),
        ("abs", '["/usr/bin/python3", "where_bolt.py"]'),
        ("venv", '["{}", "where_bolt.py"]'.format(venv / "bin" / "python")),
        ("exec", '["./where_exec.py"]'),
        ("bare", '["where_exec.py"]'),
    ]
    if shutil.which("node"):
        bolts.append(("node", '["node", "where_bolt.js"]'))
    path = make_topology(str(project), bolts)
    r = run_topology(squall, path, [name for name, _ in bolts])
    output = r.stdout + r.stderr
    assert r.returncode == 0, output
    resources = str(project / "resources")
    for name, _ in bolts:
        assert "bolt {} ran in {} ".format(name, resources) in output, (name, output)
    assert "bolt venv ran in {} venv=True".format(resources) in output, output


def test_missing_script_of_an_absolute_interpreter_names_the_folder(squall, project):
    path = make_topology(str(project), [("abs", '["/usr/bin/python3", "nope.py"]')])
    r = squall.run("validate", path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "script 'nope.py' not found in " in r.stderr, r.stderr
    assert "resources/" in r.stderr, r.stderr


def test_script_beside_the_file_is_pointed_at(squall, project):
    (project / "beside.py").write_text(PY_BOLT)
    path = make_topology(str(project), [("b", '["python3", "beside.py"]')])
    r = squall.run("validate", path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "move it into" in r.stderr, r.stderr


def test_child_answering_in_the_other_wire_format_is_one_clear_error(squall, multilang,
                                                                     project):
    pytest.importorskip("msgpack", reason="python3-msgpack is not installed")
    # Answers any handshake in msgpack, as a pystorm child started with -s msgpack would.
    (project / "resources" / "msgpack_child.py").write_text(textwrap.dedent("""\
        import os
        import sys

        import msgpack

        sys.stdin.buffer.read1(65536)
        sys.stdout.buffer.write(msgpack.packb({"pid": os.getpid()}))
        sys.stdout.flush()
        sys.stdin.buffer.read()
        """))
    path = make_topology(str(project), [("mp", '["python3", "msgpack_child.py"]')])
    r = squall.run("run", path, "--kill-wait", "0")
    assert r.returncode == 3, r.stdout + r.stderr
    assert ("cannot start: serializer mismatch: the engine speaks json "
            "(topology.multilang.serializer) but the child answered the handshake in msgpack"
            in r.stderr), r.stderr
    assert "crashed" not in r.stderr, r.stderr
