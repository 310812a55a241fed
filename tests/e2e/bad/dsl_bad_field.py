import squall
from squall.dsl import Grouping, Topology


class Words(squall.Spout):
    outputs = ["word"]

    def next_tuple(self):
        pass


class Count(squall.Bolt):
    outputs = ["word", "count"]

    def process(self, tup):
        pass


class BadField(Topology):
    words = Words.spec()
    count = Count.spec(inputs={words: Grouping.fields("wrd")})
