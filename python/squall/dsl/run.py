"""Runs one Python component of a DSL topology as a multilang child process:

    python -m squall.dsl.run MODULE:CLASS

The engine puts the module's folder on PYTHONPATH. Output printed while the module is
imported goes to stderr: stdout is the protocol pipe.
"""

import importlib
import sys
import traceback


def load(target):
    module_name, sep, qualname = target.partition(":")
    if not sep or not module_name or not qualname:
        raise ValueError("expected MODULE:CLASS, got {!r}".format(target))
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        obj = importlib.import_module(module_name)
    finally:
        sys.stdout = real_stdout
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: python -m squall.dsl.run MODULE:CLASS\n")
        return 2
    try:
        cls = load(argv[0])
    except Exception:
        sys.stderr.write("squall.dsl.run: cannot load {}:\n".format(argv[0]))
        traceback.print_exc(file=sys.stderr)
        return 1
    cls().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
