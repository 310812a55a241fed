"""Storm's test components from the Python DSL: runs without the multilang engine."""

from squall.dsl import Grouping, JavaBolt, JavaSpout, Topology


class NativeWords(Topology):
    config = {"topology.workers": 1}

    words = JavaSpout.spec(full_class_name="org.apache.storm.testing.TestWordSpout", par=2)
    count = JavaBolt.spec(full_class_name="org.apache.storm.testing.TestWordCounter",
                          inputs={words: Grouping.fields("word")}, par=2)
    log = JavaBolt.spec(full_class_name="org.apache.storm.flux.wrappers.bolts.LogInfoBolt",
                        inputs=[count])
