from squall.dsl import Topology


class Broken(Topology)
    pass
