import os
import sys
import textwrap

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # fake_engine
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # squall

from fake_engine import FakeEngine, python_argv  # noqa: E402


@pytest.fixture
def spawn(tmp_path):
    """spawn(code_or_None, script=None, serializer="json", env=None) -> FakeEngine.

    ``code`` is dedented Python source run with ``python -c``.
    """
    engines = []

    def start(code=None, script=None, serializer="json", env=None):
        if code is not None:
            code = textwrap.dedent(code)
        work_dir = tmp_path / "child{}".format(len(engines))
        work_dir.mkdir()
        engine = FakeEngine(python_argv(code, script), work_dir, serializer=serializer, env=env)
        engines.append(engine)
        return engine

    yield start
    for engine in engines:
        engine.stop()
