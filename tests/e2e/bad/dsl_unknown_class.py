from squall.dsl import JavaBolt, JavaSpout, Topology


class UnknownClass(Topology):
    words = JavaSpout.spec(full_class_name="org.apache.storm.testing.TestWordSpout")
    count = JavaBolt.spec(full_class_name="org.apache.storm.testing.TestWordCountr",
                          inputs=[words])
