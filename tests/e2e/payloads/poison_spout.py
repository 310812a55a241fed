"""Emits three reliable tuples over JSON; the second holds a string that is not UTF-8, which
the engine cannot carry: that tuple alone must fail, the others flow."""

import raw_multilang as raw


def on_next(count):
    if count >= 3:
        return b""
    word = {0: b"first", 1: b"bad \xff\xfe", 2: b"third"}[count]
    return (b'{"command":"emit","id":"m' + str(count).encode() + b'","tuple":["' + word +
            b'"],"need_task_ids":false}\nend\n')


if __name__ == "__main__":
    raw.serve(on_next)
