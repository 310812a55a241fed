from squall.dsl import Topology
from no_such_module import Something  # noqa: F401


class Imports(Topology):
    pass
