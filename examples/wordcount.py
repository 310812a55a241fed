"""Word count in the Python topology DSL (streamparse's syntax).

    squall run examples/wordcount.py --duration 10

Python components are classes (from resources/, which is on the path); splitsentence.py is
a storm.py script run as a shell component; LogInfoBolt is built into the engine.
"""

from sentence_spout import SentenceSpout
from word_count_bolt import WordCountBolt

from squall.dsl import Grouping, JavaBolt, ShellBolt, Topology


class WordCount(Topology):
    config = {"topology.max.spout.pending": 100}

    sentences = SentenceSpout.spec()
    split = ShellBolt.spec(command="python3", script="splitsentence.py", outputs=["word"],
                           inputs=[sentences], par=2)
    count = WordCountBolt.spec(inputs={split: Grouping.fields("word")}, par=2)
    log = JavaBolt.spec(full_class_name="org.apache.storm.flux.wrappers.bolts.LogInfoBolt",
                        inputs=[count])
