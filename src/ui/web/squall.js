// Squall's web UI: pages for the cluster, a topology and a component, drawn from Storm's UI
// REST API on the same port. Render functions return HTML strings with every value escaped;
// the page refreshes every 2 s.
"use strict";

function esc(v) {
  return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
  });
}

function table(columns, rows) {
  var h = "<table><tr>";
  columns.forEach(function (c, i) { h += "<th" + (i === 0 ? ' class="name"' : "") + ">" + esc(c[0]) + "</th>"; });
  h += "</tr>";
  rows.forEach(function (r) {
    h += "<tr>";
    columns.forEach(function (c, i) {
      var v = typeof c[1] === "function" ? c[1](r) : esc(r[c[1]]);
      h += "<td" + (i === 0 ? ' class="name"' : "") + ">" + v + "</td>";
    });
    h += "</tr>";
  });
  return h + "</table>";
}

function capClass(cap) {
  var c = parseFloat(cap);
  return c >= 0.8 ? "cap-hot" : c >= 0.5 ? "cap-warm" : "cap-ok";
}

function renderCluster(cluster, topologies) {
  var h = "<h2>Cluster</h2>" + table(
    [["Version", "stormVersion"], ["Topologies", "topologies"], ["Executors", "executorsTotal"],
     ["Tasks", "tasksTotal"]], [cluster]);
  h += "<h2>Topologies</h2>" + table(
    [["Name", function (t) { return '<a href="#/topology/' + encodeURIComponent(t.id) + '">' + esc(t.name) + "</a>"; }],
     ["Id", "id"], ["Status", "status"], ["Uptime", "uptime"], ["Executors", "executorsTotal"],
     ["Tasks", "tasksTotal"]], topologies.topologies);
  return h;
}

function graph(vis) {
  // Components in columns by their distance from the spouts; edges from input to consumer.
  var names = Object.keys(vis), depth = {}, changed = true, guard = 0;
  names.forEach(function (n) { depth[n] = vis[n][":type"] === "spout" ? 0 : 1; });
  while (changed && guard++ < 100) {
    changed = false;
    names.forEach(function (n) {
      (vis[n][":inputs"] || []).forEach(function (i) {
        if (depth[i[":component"]] !== undefined && depth[n] <= depth[i[":component"]] && depth[n] < 50) {
          depth[n] = depth[i[":component"]] + 1; changed = true;
        }
      });
    });
  }
  var cols = {}, pos = {};
  names.forEach(function (n) { (cols[depth[n]] = cols[depth[n]] || []).push(n); });
  var width = 0, height = 0;
  Object.keys(cols).forEach(function (d) {
    cols[d].forEach(function (n, k) { pos[n] = { x: 20 + d * 170, y: 20 + k * 60 }; });
    width = Math.max(width, 20 + d * 170 + 150); height = Math.max(height, 20 + cols[d].length * 60);
  });
  var s = '<svg width="' + width + '" height="' + height + '">';
  names.forEach(function (n) {
    (vis[n][":inputs"] || []).forEach(function (i) {
      var a = pos[i[":component"]], b = pos[n];
      if (a && b) s += '<line x1="' + (a.x + 130) + '" y1="' + (a.y + 18) + '" x2="' + b.x + '" y2="' + (b.y + 18) + '" stroke="#889"><title>' + esc(i[":stream"] + " (" + i[":grouping"] + ")") + "</title></line>";
    });
  });
  names.forEach(function (n) {
    var p = pos[n], v = vis[n], cap = v[":capacity"] || 0;
    var fill = v[":type"] === "spout" ? "#cfe3ff" : cap >= 0.8 ? "#f6b5b5" : cap >= 0.5 ? "#ffe1a6" : "#d4efdc";
    s += '<g><rect x="' + p.x + '" y="' + p.y + '" width="130" height="36" rx="6" fill="' + fill + '" stroke="#667"></rect>';
    s += '<text x="' + (p.x + 8) + '" y="' + (p.y + 15) + '">' + esc(n) + "</text>";
    s += '<text x="' + (p.x + 8) + '" y="' + (p.y + 30) + '">' + esc(v[":transferred"]) + " sent</text></g>";
  });
  return s + "</svg>";
}

// A Python error's first line is "Traceback (most recent call last):"; its last line names
// the exception, which is what a one-line summary should show.
function errorSummary(err) {
  var lines = String(err === null || err === undefined ? "" : err).split("\n")
    .filter(function (l) { return l.trim(); });
  return lines.length ? lines[lines.length - 1].trim() : "";
}

function lastError(c) {
  return '<span class="error" title="' + esc(c.lastError) + '">' + esc(errorSummary(c.lastError)) + "</span>";
}

function renderTopology(t, vis) {
  var id = encodeURIComponent(t.id);
  var link = function (c) { return '<a href="#/topology/' + id + "/component/" + encodeURIComponent(c) + '">' + esc(c) + "</a>"; };
  var h = "<h2>Topology " + esc(t.name) + " (" + esc(t.status) + ", up " + esc(t.uptime) + ")</h2>";
  if (t.actionsEnabled) {
    h += '<p><button data-action="activate">Activate</button><button data-action="deactivate">Deactivate</button>' +
         '<button data-action="kill/0">Kill</button></p>';
  }
  h += table([["Window", "windowPretty"], ["Emitted", "emitted"], ["Transferred", "transferred"],
              ["Complete latency (ms)", "completeLatency"], ["Acked", "acked"], ["Failed", "failed"]], t.topologyStats);
  if (vis) h += "<h2>Graph</h2>" + graph(vis);
  h += "<h2>Spouts (" + esc(t.windowHint) + ")</h2>" + table(
    [["Id", function (s) { return link(s.spoutId); }], ["Executors", "executors"], ["Tasks", "tasks"],
     ["Emitted", "emitted"], ["Transferred", "transferred"], ["Complete latency (ms)", "completeLatency"],
     ["Acked", "acked"], ["Failed", "failed"], ["Last error", lastError]], t.spouts);
  h += "<h2>Bolts (" + esc(t.windowHint) + ")</h2>" + table(
    [["Id", function (b) { return link(b.boltId); }], ["Executors", "executors"], ["Tasks", "tasks"],
     ["Emitted", "emitted"], ["Transferred", "transferred"],
     ["Capacity", function (b) { return '<span class="' + capClass(b.capacity) + '">' + esc(b.capacity) + "</span>"; }],
     ["Execute latency (ms)", "executeLatency"], ["Executed", "executed"], ["Process latency (ms)", "processLatency"],
     ["Acked", "acked"], ["Failed", "failed"], ["Last error", lastError]], t.bolts);
  h += "<h2>Errors</h2>";
  var failing = t.spouts.map(function (c) { return [c.spoutId, c.lastError]; })
    .concat(t.bolts.map(function (c) { return [c.boltId, c.lastError]; }))
    .filter(function (e) { return e[1]; });
  if (!failing.length) h += "<p>None.</p>";
  failing.forEach(function (e) {
    h += "<details><summary>" + link(e[0]) + ": " + esc(errorSummary(e[1])) + '</summary><pre class="error">' + esc(e[1]) + "</pre></details>";
  });
  return h;
}

function renderComponent(c) {
  var spout = c.componentType === "spout";
  var h = "<h2>" + esc(c.componentType) + " " + esc(c.id) + " of " + esc(c.name) + "</h2>";
  h += table(spout
    ? [["Window", "windowPretty"], ["Emitted", "emitted"], ["Transferred", "transferred"],
       ["Complete latency (ms)", "completeLatency"], ["Acked", "acked"], ["Failed", "failed"]]
    : [["Window", "windowPretty"], ["Emitted", "emitted"], ["Transferred", "transferred"],
       ["Execute latency (ms)", "executeLatency"], ["Executed", "executed"], ["Process latency (ms)", "processLatency"],
       ["Capacity", "capacity"], ["Acked", "acked"], ["Failed", "failed"]], spout ? c.spoutSummary : c.boltStats);
  if (!spout) {
    h += "<h2>Input stats</h2>" + table([["Component", "component"], ["Stream", "stream"], ["Executed", "executed"],
      ["Execute latency (ms)", "executeLatency"], ["Process latency (ms)", "processLatency"], ["Acked", "acked"],
      ["Failed", "failed"]], c.inputStats);
  }
  h += "<h2>Output stats</h2>" + table([["Stream", "stream"], ["Emitted", "emitted"], ["Transferred", "transferred"]], c.outputStats);
  h += "<h2>Executors</h2>" + table([["Id", "id"], ["Uptime", "uptime"], ["Emitted", "emitted"],
    ["Transferred", "transferred"], ["Acked", "acked"], ["Failed", "failed"]].concat(spout ? [] : [["Capacity", "capacity"]]),
    c.executorStats);
  h += "<h2>Errors</h2>";
  (c.componentErrors || []).slice(0, 20).forEach(function (e) {
    // A local run names the task; nimbus's errors (squall ui) name the worker instead.
    var where = e.task !== undefined ? "Task " + esc(e.task) : e.errorHost ? esc(e.errorHost + ":" + e.errorPort) : "";
    h += "<p>" + (where ? where + ", " : "") + esc(new Date(e.errorTime * 1000).toISOString()) + '</p><pre class="error">' + esc(e.error) + "</pre>";
  });
  return h;
}

function getJson(path) {
  return fetch(path).then(function (r) { return r.json(); });
}

function show() {
  var main = document.getElementById("main");
  var parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  var page;
  if (parts[0] === "topology" && parts.length >= 4) {
    page = getJson("/api/v1/topology/" + encodeURIComponent(parts[1]) + "/component/" + encodeURIComponent(parts[3]))
      .then(renderComponent);
  } else if (parts[0] === "topology" && parts.length >= 2) {
    var base = "/api/v1/topology/" + encodeURIComponent(parts[1]);
    page = Promise.all([getJson(base), getJson(base + "/visualization")])
      .then(function (r) { return renderTopology(r[0], r[1]); });
  } else {
    page = Promise.all([getJson("/api/v1/cluster/summary"), getJson("/api/v1/topology/summary")])
      .then(function (r) { return renderCluster(r[0], r[1]); });
  }
  return page.then(function (html) {
    main.innerHTML = html;
    document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString();
  }, function (err) {
    document.getElementById("status").textContent = "no answer: " + err;
  });
}

if (typeof document !== "undefined") {
  document.addEventListener("click", function (ev) {
    var action = ev.target.getAttribute && ev.target.getAttribute("data-action");
    var parts = location.hash.replace(/^#\/?/, "").split("/");
    if (!action || parts[0] !== "topology") return;
    fetch("/api/v1/topology/" + parts[1] + "/" + action, { method: "POST" }).then(show);
  });
  window.addEventListener("hashchange", show);
  show();
  setInterval(show, 2000);
}

if (typeof module !== "undefined") {
  module.exports = { esc: esc, renderCluster: renderCluster, renderTopology: renderTopology, renderComponent: renderComponent, graph: graph,
    errorSummary: errorSummary };
}
