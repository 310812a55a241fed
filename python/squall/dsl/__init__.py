"""streamparse-style topology DSL: a topology as a Python class.

    from squall.dsl import Grouping, Topology
    from word_count_bolt import WordCountBolt
    from sentence_spout import SentenceSpout

    class WordCount(Topology):
        sentences = SentenceSpout.spec()
        count = WordCountBolt.spec(inputs={sentences: Grouping.fields("word")}, par=2)

Run it with ``squall run wordcount.py``: the engine runs ``python -m squall.dsl.export`` once
to read the definition, then each Python component over multilang.
"""

from .component import (ComponentSpec, JavaBolt, JavaSpout, NativeBolt, NativeSpout, ShellBolt,
                        ShellSpout)
from .stream import Grouping, Stream, StreamRef, TopologyError
from .topology import Topology



def GlobalStreamId(componentId, streamId="default"):  # noqa: N802,N803 (streamparse's names)
    """A stream of a component named by id, for inputs that form a cycle."""
    return StreamRef(componentId, streamId)


__all__ = [
    "ComponentSpec",
    "GlobalStreamId",
    "Grouping",
    "JavaBolt",
    "JavaSpout",
    "NativeBolt",
    "NativeSpout",
    "ShellBolt",
    "ShellSpout",
    "Stream",
    "StreamRef",
    "Topology",
    "TopologyError",
]
