import squall
from squall.dsl import Topology


class Count(squall.Bolt):
    def process(self, tup):
        pass


class NoSpout(Topology):
    count = Count.spec()
