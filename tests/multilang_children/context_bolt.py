"""Reports what the engine told it, by hand-written protocol (JSON or msgpack).

For each regular tuple [x]: emits on the default stream [x, report] where report is a JSON
text with the handshake (conf subset, pidDir, context), the cwd, the pid, whether the pid
file exists, SQUALL_SERIALIZER and the env var SQUALL_TEST_ENV; emits [x] on the direct
stream "direct" to the first task of the component "direct-sink" (found in the context,
sent as a small integer task id); then acks.  Tick tuples: emits [comp, stream, task, secs]
on stream "ticks" and acks.  Heartbeats: sync.
"""

import json
import os

from wire import handshake, read, send

setup, pid = handshake()
pid_path = os.path.join(setup["pidDir"], str(pid))
context = setup["context"]
direct_task = None
for task, comp in sorted(context["task->component"].items(), key=lambda kv: int(kv[0])):
    if comp == "direct-sink":
        direct_task = int(task)
        break

while True:
    tup = read()
    if tup["stream"] == "__heartbeat":
        send({"command": "sync"})
        continue
    if tup["stream"] == "__tick":
        send({"command": "emit", "stream": "ticks",
              "tuple": [tup["comp"], tup["stream"], tup["task"], tup["tuple"][0]],
              "need_task_ids": False})
        send({"command": "ack", "id": tup["id"]})
        continue
    report = {
        "conf": {k: setup["conf"].get(k) for k in
                 ("topology.name", "topology.multilang.serializer",
                  "topology.message.timeout.secs", "squall.test.key")},
        "pidDir": setup["pidDir"],
        "pidFileExists": os.path.exists(pid_path),
        "context": context,
        "cwd": os.getcwd(),
        "pid": pid,
        "serializer": os.environ.get("SQUALL_SERIALIZER"),
        "env": os.environ.get("SQUALL_TEST_ENV"),
        "tupleId": tup["id"],
        "comp": tup["comp"],
        "sourceStream": tup["stream"],
        "sourceTask": tup["task"],
    }
    send({"command": "emit", "anchors": [tup["id"]],
          "tuple": [tup["tuple"][0], json.dumps(report)], "need_task_ids": False})
    if direct_task is not None:
        send({"command": "emit", "stream": "direct", "task": direct_task,
              "anchors": [tup["id"]], "tuple": [tup["tuple"][0]]})
    send({"command": "ack", "id": tup["id"]})
