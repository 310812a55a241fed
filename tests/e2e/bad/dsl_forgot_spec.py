import squall
from squall.dsl import JavaSpout, Topology


class Count(squall.Bolt):
    def process(self, tup):
        pass


class ForgotSpec(Topology):
    words = JavaSpout.spec(full_class_name="org.apache.storm.testing.TestWordSpout")
    count = Count
