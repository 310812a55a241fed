from squall.dsl import Grouping, JavaBolt, JavaSpout, Topology


class NativeField(Topology):
    words = JavaSpout.spec(full_class_name="org.apache.storm.testing.TestWordSpout")
    count = JavaBolt.spec(full_class_name="org.apache.storm.testing.TestWordCounter",
                          inputs={words: Grouping.fields("wrd")})
