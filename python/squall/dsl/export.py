"""Prints a DSL topology module's definition as JSON, for the engine:

    python -m squall.dsl.export FILE.py [--class NAME] [--verbose]

Loads FILE.py (its folder and that folder's ``resources/`` on sys.path), finds the one
``squall.dsl.Topology`` subclass it defines, and writes {"name", "topology", "file", "line",
"config", "components": [...]} to stdout. On error, prints ``FILE:LINE: error: ...`` naming
the class and attribute at fault to stderr and exits with status 2. Anything the module
prints while loading goes to stderr, so stdout carries only the JSON.
"""

import argparse
import ast
import importlib.util
import json
import os
import re
import sys
import traceback

from .stream import TopologyError
from .topology import Topology

EXIT_ERROR = 2


class ExportError(Exception):
    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line


def _attribute_lines(path):
    """{class name: (class line, {attribute: line})} for every class in the file."""
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return {}
    classes = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            attrs = {}
            for stmt in node.body:
                targets = []
                if isinstance(stmt, ast.Assign):
                    targets = stmt.targets
                elif isinstance(stmt, ast.AnnAssign):
                    targets = [stmt.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        attrs.setdefault(target.id, stmt.lineno)
            classes.setdefault(node.name, (node.lineno, attrs))
    return classes


def _module_name(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", stem) and stem not in sys.builtin_module_names:
        return stem
    return "_squall_topology_" + re.sub(r"\W", "_", stem)


def _user_frame_line(exc, path):
    """The line of the deepest traceback frame in ``path``, else None."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == path:
            line = frame.lineno
    return line


def _where(display, line):
    return "{}:{}".format(display, line) if line else display


def _topology_error(exc, display, path):
    lines = _attribute_lines(path)
    class_line, attrs = lines.get(exc.topology, (None, {}))
    line = attrs.get(exc.component) if exc.component else None
    line = line or class_line or _user_frame_line(exc, path)
    context = "class {}".format(exc.topology) if exc.topology else None
    if context and exc.component:
        context += ", attribute {!r}".format(exc.component)
    message = "{}: {}".format(context, exc.message) if context else exc.message
    return ExportError(message, line)


def load_topology(path, display, class_name=None):
    """The Topology subclass defined in ``path``; ExportError otherwise."""
    folder = os.path.dirname(path)
    resources = os.path.join(folder, "resources")
    if os.path.isdir(resources):
        sys.path.insert(0, resources)
    sys.path.insert(0, folder)
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise ExportError("not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except TopologyError as exc:
        raise _topology_error(exc, display, path) from exc
    except SystemExit as exc:
        # Not an Exception: left alone it would end the exporter with nothing printed.
        code = exc.code if exc.code is not None else 0
        raise ExportError("the module called sys.exit({!r}) while it was being imported; a "
                          "topology module must only define its topology".format(code),
                          _user_frame_line(exc, path)) from exc
    except SyntaxError as exc:
        where = exc.filename if exc.filename and os.path.abspath(exc.filename) != path else None
        message = "SyntaxError: {}".format(exc.msg)
        if where:
            message += " (in {}:{})".format(where, exc.lineno)
            raise ExportError(message, None) from exc
        raise ExportError(message, exc.lineno) from exc
    except FileNotFoundError as exc:
        if not os.path.exists(path):
            raise ExportError("no such file") from exc
        raise ExportError("{}: {}".format(type(exc).__name__, exc),
                          _user_frame_line(exc, path)) from exc
    except Exception as exc:
        message = "{}: {}".format(type(exc).__name__, exc)
        raise ExportError(message, _user_frame_line(exc, path)) from exc

    found = [value for value in vars(module).values()
             if isinstance(value, type) and issubclass(value, Topology) and value is not Topology
             and value.__module__ == name]
    if class_name:
        found = [cls for cls in found if cls.__name__ == class_name]
        if not found:
            raise ExportError("no Topology subclass named {!r} in this file".format(class_name))
    if not found:
        raise ExportError("defines no squall.dsl.Topology subclass (write `class MyTopology"
                          "(Topology): ...` with component specs as attributes)")
    if len(found) > 1:
        raise ExportError("defines several Topology subclasses ({}); keep one per file".format(
            ", ".join(sorted(cls.__name__ for cls in found))))
    return found[0], module


def export(path, display, class_name=None):
    cls, _ = load_topology(path, display, class_name)
    lines = _attribute_lines(path)
    class_line, attrs = lines.get(cls.__name__, (None, {}))
    try:
        data = cls.to_dict()
    except TopologyError as exc:
        raise _topology_error(exc, display, path) from exc
    data["name"] = os.path.splitext(os.path.basename(path))[0]
    data["file"] = path
    data["line"] = class_line
    data["config_line"] = attrs.get("config")
    for component in data["components"]:
        component["line"] = attrs.get(component.get("attribute")) or class_line
        for key in ("config", "args"):
            if key in component:
                try:
                    json.dumps(component[key], allow_nan=False)
                except (TypeError, ValueError) as exc:
                    raise ExportError("class {}, attribute {!r}: {} is not plain data (numbers, "
                                      "strings, bools, None, lists, dicts): {}".format(
                                          cls.__name__, component.get("attribute"), key, exc),
                                      component["line"]) from exc
    try:
        return json.dumps(data, allow_nan=False, sort_keys=False)
    except (TypeError, ValueError) as exc:
        raise ExportError("class {}: config is not plain data (numbers, strings, bools, None, "
                          "lists, dicts): {}".format(cls.__name__, exc),
                          data["config_line"] or class_line) from exc


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m squall.dsl.export",
                                     description="Print a DSL topology as JSON.")
    parser.add_argument("file")
    parser.add_argument("--class", dest="class_name")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    path = os.path.abspath(args.file)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # user code's prints must not corrupt the JSON
    try:
        text = export(path, args.file, args.class_name)
    except ExportError as exc:
        if args.verbose and exc.__cause__ is not None:
            traceback.print_exception(type(exc.__cause__), exc.__cause__,
                                      exc.__cause__.__traceback__, file=sys.stderr)
        sys.stderr.write("{}: error: {}\n".format(_where(args.file, exc.line), exc.message))
        sys.stderr.flush()
        return EXIT_ERROR
    finally:
        sys.stdout = real_stdout
    real_stdout.write(text)
    real_stdout.write("\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
