"""Wire formats for the multilang pipe, and the rule that picks one.

A serializer turns one message (a dict, or a list of task ids) into bytes and back.
It is not thread-safe on its own: ``squall.channel.Channel`` holds the locks.

In the pystorm model the *component* decides the format and the engine must match.
The engine tells us which one it speaks through the ``SQUALL_SERIALIZER``
environment variable (it sets it when ``topology.multilang.serializer`` is msgpack),
so that variable wins over what the code asks for.
"""

import os

SERIALIZER_ENV_VAR = "SQUALL_SERIALIZER"
DEFAULT_SERIALIZER = "json"

# Besides the short names, accept the Java class names users already put in
# ``topology.multilang.serializer``, in case the engine passes them through verbatim.
_ALIASES = {
    "json": "json",
    "org.apache.storm.multilang.jsonserializer": "json",
    "msgpack": "msgpack",
    "messagepack": "msgpack",
    "com.yelp.pyleus.serializer.messagepackserializer": "msgpack",
}


def normalize_serializer_name(name):
    """Return "json" or "msgpack" for ``name``; raise ValueError for anything else."""
    key = str(name).strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise ValueError(
        "unknown multilang serializer {!r}; expected 'json' or 'msgpack'".format(name)
    )


def choose_serializer_name(requested=None, environ=None):
    """Pick the wire format: the engine's env var first, then the code's request, then JSON.

    Returns ``(name, overridden)`` where ``overridden`` is the code's request when the
    environment replaced it with something different (worth a warning), else None.
    """
    environ = os.environ if environ is None else environ
    from_env = environ.get(SERIALIZER_ENV_VAR, "").strip()
    from_code = normalize_serializer_name(requested) if requested else None
    if from_env:
        chosen = normalize_serializer_name(from_env)
        overridden = from_code if from_code and from_code != chosen else None
        return chosen, overridden
    return from_code or DEFAULT_SERIALIZER, None


def create_serializer(name, input_stream, output_stream):
    """Build the serializer called ``name`` over two binary streams."""
    name = normalize_serializer_name(name)
    if name == "msgpack":
        from .msgpack_serializer import MsgpackSerializer

        return MsgpackSerializer(input_stream, output_stream)
    from .json_serializer import JsonSerializer

    return JsonSerializer(input_stream, output_stream)
