"""The web UI in a real headless Chromium, driven over the DevTools protocol.

`squall run` serves the ops topology (tests/e2e/ops: a Python spout and bolt, the bolt raising
an error with its traceback) with `--ui 0`; Debian's `chromium` opens the page. The test waits,
polling the DOM with deadlines, for the graph, growing counts and the errors; clicks Deactivate
and Activate and checks them through the REST API; and fails on any JavaScript exception,
console error or request to another origin. Screenshots of the topology and a component page
go to $SQUALL_TEST_ARTIFACTS/web_ui/ (ctest sets it to build/<preset>/test-artifacts), else to
the pytest tmp dir; the test prints where. Both processes are killed at the end.

The same page served by `squall ui` for a cluster (`squall dev-cluster`, one supervisor, Storm's
test-words topology submitted): the cluster page, the graph, Deactivate and Activate through
nimbus, a component page; screenshots in web_ui_cluster/."""

import base64
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import DEADLINE_SECS, EXAMPLES, wait_until, E2E

OPS = os.path.join(E2E, "ops", "ops.yaml")
TEST_WORDS = os.path.join(EXAMPLES, "test_words.yaml")
# Short deadline for what the page shows once it runs: it refreshes every 2 s.
PAGE_SECS = 20


class DevTools:
    """A DevTools protocol session with one page: commands wait for their reply; events are
    kept, in order, for the test to read."""

    def __init__(self, ws_url):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=DEADLINE_SECS,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        deadline = time.monotonic() + DEADLINE_SECS
        while True:
            assert time.monotonic() < deadline, "no reply to " + method
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                assert "error" not in msg, (method, msg["error"])
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression):
        """The JSON value of a page expression; a thrown exception fails the test."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        assert "exceptionDetails" not in r, (expression, r["exceptionDetails"])
        return r["result"].get("value")

    def screenshot(self, path):
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        png = self.call("Page.captureScreenshot", format="png", clip=clip,
                        captureBeyondViewport=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))

    def close(self):
        self.ws.close()


def stop(proc):
    """Kills a process started in its own session, and everything it started."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=DEADLINE_SECS)

    def group_gone():  # Chromium's renderers and squall's Python children too
        try:
            os.killpg(proc.pid, 0)
            return False
        except ProcessLookupError:
            return True
    wait_until(group_gone, "process group {} to exit".format(proc.pid))


def start_squall(squall, tmp_path):
    """`squall run OPS --ui 0`; (process, port) once the log names the port it chose."""
    log = tmp_path / "squall.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([squall.binary, "run", OPS, "--ui", "0", "--duration", "120",
                                 "--kill-wait", "0"], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    def port():
        m = re.search(r"UI: Storm's REST API at http://127\.0\.0\.1:(\d+)/api/v1/",
                      log.read_text(errors="replace"))
        assert m or proc.poll() is None, "squall exited:\n" + log.read_text(errors="replace")
        return int(m.group(1)) if m else None
    return proc, wait_until(port, "the UI log line")


def start_chromium(binary, tmp_path):
    """Headless Chromium with a private profile; (process, DevTools port)."""
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    log = open(tmp_path / "chromium.log", "w")
    # --no-sandbox: the tests run as root. The --disable-* flags keep the browser itself from
    # reaching the network (updates, sync, field trials): only the page's requests remain.
    proc = subprocess.Popen(
        [binary, "--headless=new", "--remote-debugging-port=0",
         "--user-data-dir=" + str(profile), "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--disable-sync", "--disable-component-update",
         "--disable-default-apps", "--disable-field-trial-config", "--window-size=1280,900",
         # A full-page screenshot lays the page out without a scrollbar: hide it always, so
         # the page's width does not change between the layout and the capture.
         "--hide-scrollbars",
         "about:blank"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    active = profile / "DevToolsActivePort"

    def port():
        assert proc.poll() is None, "chromium exited:\n" + (tmp_path / "chromium.log").read_text()
        text = active.read_text() if active.exists() else ""
        return int(text.split("\n")[0]) if "\n" in text else None
    return proc, wait_until(port, "Chromium's DevToolsActivePort")


def page_target(devtools_port):
    with urllib.request.urlopen("http://127.0.0.1:{}/json/list".format(devtools_port),
                                timeout=10) as r:
        targets = json.load(r)
    return next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")


# Reads a cell of the table under the heading that starts with `section`: the row whose first
# cell is `row`, the column headed `column`; null until the page shows it.
CELL_JS = """
(function (section, row, column) {
  var h = Array.from(document.querySelectorAll('#main h2'))
      .find(function (e) { return e.textContent.indexOf(section) === 0; });
  var t = h && h.nextElementSibling;
  if (!t || t.tagName !== 'TABLE') return null;
  var heads = Array.from(t.rows[0].cells).map(function (c) { return c.textContent; });
  var col = heads.indexOf(column);
  var r = Array.from(t.rows).slice(1)
      .find(function (tr) { return tr.cells[0].textContent === row; });
  return r && col >= 0 ? r.cells[col].textContent : null;
})(%s, %s, %s)
"""


def cell(dt, section, row, column):
    return dt.evaluate(CELL_JS % (json.dumps(section), json.dumps(row), json.dumps(column)))


def artifacts_dir(tmp_path, name="web_ui"):
    root = os.environ.get("SQUALL_TEST_ARTIFACTS") or str(tmp_path / "test-artifacts")
    path = os.path.join(root, name)
    shutil.rmtree(path, ignore_errors=True)  # no stale screenshot from an earlier run
    os.makedirs(path)
    return path


def chromium_or_skip():
    binary = shutil.which("chromium")
    if not binary:
        pytest.skip("Debian's chromium is not installed (bash scripts/setup.sh test)")
    if importlib.util.find_spec("websocket") is None:  # Debian's python3-websocket
        pytest.skip("python3-websocket is not installed (bash scripts/setup.sh test)")
    return binary


def page_problems(dt, port):
    """(JavaScript exceptions and console errors, requests to another origin than port)."""
    dt.call("Runtime.evaluate", expression="0")  # collects the events sent meanwhile
    problems = []
    requests = []
    for e in dt.events:
        p = e["params"]
        if e["method"] == "Runtime.exceptionThrown":
            problems.append(p["exceptionDetails"])
        elif e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            problems.append(p["args"])
        elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
            problems.append(p["entry"])
        elif e["method"] == "Network.requestWillBeSent":
            requests.append(p["request"]["url"])
    assert any(u.endswith("/ui/squall.js") for u in requests), requests
    elsewhere = [u for u in requests
                 if urllib.parse.urlsplit(u).netloc != "127.0.0.1:{}".format(port)]
    return problems, elsewhere


def test_web_ui_in_headless_chromium(squall, multilang, tmp_path):
    binary = chromium_or_skip()
    artifacts = artifacts_dir(tmp_path)
    print("web UI screenshots:", artifacts)

    procs = []
    dt = None
    try:
        sq, port = start_squall(squall, tmp_path)
        procs.append(sq)
        base = "http://127.0.0.1:{}".format(port)

        def api(path, method="GET"):
            req = urllib.request.Request(base + path, method=method,
                                         data=b"" if method == "POST" else None)
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.load(r)

        def status():
            return api("/api/v1/topology/summary")["topologies"][0]["status"]

        chrome, devtools_port = start_chromium(binary, tmp_path)
        procs.append(chrome)
        dt = DevTools(page_target(devtools_port))
        for domain in ("Page", "Runtime", "Log", "Network"):
            dt.call(domain + ".enable")
        dt.call("Page.navigate", url=base + "/")

        # The cluster page lists the topology; its link opens the topology page.
        wait_until(lambda: dt.evaluate(
            "!!document.querySelector('#main a[href^=\"#/topology/\"]')"), "the cluster page",
            PAGE_SECS)
        dt.evaluate("document.querySelector('#main a[href^=\"#/topology/\"]').click()")

        # The graph: one box (rect and name) per spout and bolt, and an edge per stream.
        names = wait_until(lambda: dt.evaluate(
            "Array.from(document.querySelectorAll('#main svg g')).map(function (g) {"
            " return g.querySelector('rect') && g.querySelector('text').textContent; })"
            ".sort().join(',') || null"), "the topology graph", PAGE_SECS)
        assert names == "check,numbers,sink", names
        assert dt.evaluate("document.querySelectorAll('#main svg line').length") == 2

        # Live counts: the spout's emitted count is non-zero, then grows on a later refresh.
        def emitted():
            text = cell(dt, "Spouts", "numbers", "Emitted")
            return int(text) if text and int(text) > 0 else None
        first = wait_until(emitted, "a non-zero emitted count", PAGE_SECS)
        wait_until(lambda: (emitted() or 0) > first, "the emitted count to grow", PAGE_SECS)

        # The errors: the bolt's last error in its row, and the "Errors" section listing it.
        wait_until(lambda: "three is not allowed" in (cell(dt, "Bolts", "check", "Last error")
                                                     or ""), "the bolt's last error", PAGE_SECS)
        wait_until(lambda: dt.evaluate(
            "Array.from(document.querySelectorAll('#main h2')).some(function (h) {"
            " return h.textContent.indexOf('Errors') === 0; }) &&"
            " document.querySelector('#main pre.error') !== null &&"
            " document.querySelector('#main pre.error').textContent"
            ".indexOf('three is not allowed') >= 0"), "the errors section", PAGE_SECS)
        dt.screenshot(os.path.join(artifacts, "topology.png"))

        # Actions through the page's buttons, their effect through the REST API and the page.
        for action, expect in (("deactivate", "INACTIVE"), ("activate", "ACTIVE")):
            assert dt.evaluate(
                "(function () { var b = document.querySelector("
                "'#main button[data-action=\"%s\"]'); if (b) b.click(); return !!b; })()"
                % action), "no " + action + " button"
            wait_until(lambda: status() == expect, "the topology to be " + expect, PAGE_SECS)
            wait_until(lambda: dt.evaluate(
                "document.querySelector('#main h2').textContent.indexOf('(%s,') >= 0" % expect),
                "the page to show " + expect, PAGE_SECS)

        # The component page of the Python bolt: its stats and the error's whole traceback.
        dt.evaluate("Array.from(document.querySelectorAll('#main a')).find(function (a) {"
                    " return a.textContent === 'check'; }).click()")
        # (The topology page shows the traceback too: wait for the component page's heading.)
        traceback = wait_until(lambda: dt.evaluate(
            "(function () { var h = document.querySelector('#main h2');"
            " var p = document.querySelector('#main pre.error');"
            " return h && h.textContent.indexOf('bolt check of ops') === 0 && p &&"
            " p.textContent.indexOf('Traceback') >= 0 ? p.textContent : null; })()"),
            "the component page's traceback", PAGE_SECS)
        assert "three is not allowed" in traceback and traceback.count("\n") >= 3
        assert cell(dt, "Input stats", "numbers", "Stream") == "default"
        dt.screenshot(os.path.join(artifacts, "component.png"))

        # No exception, no console error, and every request went to squall's own port.
        problems, elsewhere = page_problems(dt, port)
        assert not problems, problems
        assert not elsewhere, elsewhere
        for name in ("topology.png", "component.png"):
            with open(os.path.join(artifacts, name), "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n", name
        assert sq.poll() is None, "squall exited during the test"
    except BaseException:
        if dt:  # what the page showed when the test failed, to see why
            try:
                dt.screenshot(os.path.join(artifacts, "failure.png"))
                with open(os.path.join(artifacts, "failure.html"), "w") as f:
                    f.write(dt.evaluate("document.documentElement.outerHTML"))
            except Exception as e:  # the original failure matters more
                print("could not save the failing page:", e)
        raise
    finally:
        if dt:
            dt.close()
        for proc in reversed(procs):
            stop(proc)


def test_cluster_web_ui_in_headless_chromium(squall, tmp_path):
    """The page over `squall ui`: nimbus's topology, its graph, actions through nimbus."""
    from zookeeper_server import missing_requirements
    binary = chromium_or_skip()
    why = missing_requirements()
    if why:
        pytest.skip(why)
    from test_cluster_ui import start_cluster_ui
    from test_dev_cluster import read_supervisors, start_dev_cluster, stop_cleanly
    artifacts = artifacts_dir(tmp_path, "web_ui_cluster")
    print("cluster web UI screenshots:", artifacts)

    cluster, printed = start_dev_cluster(squall, "--dir", str(tmp_path / "c"), "--supervisors",
                                         "1")
    procs = []
    ui = None
    dt = None
    try:
        read_supervisors(cluster, 1)
        conf = printed["storm.yaml"]
        r = squall.run("submit", TEST_WORDS, "--config", conf)
        assert r.returncode == 0, r.stderr + r.stdout
        ui = start_cluster_ui(squall, conf)

        def status():
            return ui.get("/api/v1/topology/summary")["topologies"][0]["status"]

        chrome, devtools_port = start_chromium(binary, tmp_path)
        procs.append(chrome)
        dt = DevTools(page_target(devtools_port))
        for domain in ("Page", "Runtime", "Log", "Network"):
            dt.call(domain + ".enable")
        dt.call("Page.navigate", url=ui.base + "/")

        wait_until(lambda: dt.evaluate(
            "!!document.querySelector('#main a[href^=\"#/topology/test-words-\"]')"),
            "the cluster page listing the topology", PAGE_SECS)
        dt.evaluate("document.querySelector('#main a[href^=\"#/topology/\"]').click()")
        names = wait_until(lambda: dt.evaluate(
            "Array.from(document.querySelectorAll('#main svg g')).map(function (g) {"
            " return g.querySelector('rect') && g.querySelector('text').textContent; })"
            ".sort().join(',') || null"), "the topology graph", PAGE_SECS)
        assert names == "count,log,words", names
        assert dt.evaluate("document.querySelectorAll('#main svg line').length") == 2
        assert cell(dt, "Spouts", "words", "Executors") == "2"
        dt.screenshot(os.path.join(artifacts, "topology.png"))

        for action, expect in (("deactivate", "INACTIVE"), ("activate", "ACTIVE")):
            assert dt.evaluate(
                "(function () { var b = document.querySelector("
                "'#main button[data-action=\"%s\"]'); if (b) b.click(); return !!b; })()"
                % action), "no " + action + " button"
            wait_until(lambda: status() == expect, "nimbus to say " + expect, PAGE_SECS)
            wait_until(lambda: dt.evaluate(
                "document.querySelector('#main h2').textContent.indexOf('(%s,') >= 0" % expect),
                "the page to show " + expect, PAGE_SECS)

        dt.evaluate("Array.from(document.querySelectorAll('#main a')).find(function (a) {"
                    " return a.textContent === 'count'; }).click()")
        wait_until(lambda: dt.evaluate(
            "(function () { var h = document.querySelector('#main h2');"
            " return !!h && h.textContent.indexOf('bolt count of test-words') === 0; })()"),
            "the component page", PAGE_SECS)
        assert cell(dt, "Input stats", "words", "Stream") == "default"
        dt.screenshot(os.path.join(artifacts, "component.png"))

        problems, elsewhere = page_problems(dt, ui.port)
        assert not problems, problems
        assert not elsewhere, elsewhere
    except BaseException:
        if dt:
            try:
                dt.screenshot(os.path.join(artifacts, "failure.png"))
            except Exception as e:
                print("could not save the failing page:", e)
        raise
    finally:
        if dt:
            dt.close()
        for proc in procs:
            stop(proc)
        if ui:
            ui.proc.send_signal(signal.SIGTERM)
            ui.proc.communicate(timeout=DEADLINE_SECS)
    stop_cleanly(cluster, signal.SIGTERM)
