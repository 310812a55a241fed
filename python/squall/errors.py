"""Exceptions that describe a broken link between a component and the engine."""


class StormWentAwayError(Exception):
    """The engine closed our pipes (EOF on read, broken pipe on write).

    Not a bug in user code: the engine is stopping or has died, so the component
    exits quietly with status 2, as pystorm does.
    """

    def __init__(self, detail="the engine closed the multilang pipe"):
        super().__init__(detail)


class ProtocolError(Exception):
    """A message from the engine could not be decoded or has the wrong shape."""
