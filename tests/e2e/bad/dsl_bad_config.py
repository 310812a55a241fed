from squall.dsl import JavaBolt, JavaSpout, Topology


class BadConfig(Topology):
    config = {"topology.workers": "two"}

    words = JavaSpout.spec(full_class_name="org.apache.storm.testing.TestWordSpout")
    count = JavaBolt.spec(full_class_name="org.apache.storm.testing.TestWordCounter",
                          inputs=[words])
