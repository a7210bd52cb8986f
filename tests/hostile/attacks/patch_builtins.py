"""Monkeypatches builtins and the worker's own modules (isinstance, type, len, json.dumps,
struct.pack) so that whatever it returns would look like a valid answer, then returns an object.

The worker's checks are the student's to break, but the grader decodes and checks every reply
itself: relu scores nothing, and the worker is started afresh for the next call.
"""
import builtins
import json
import struct

EXERCISE = "relu"
SAYS = "broke the grader's channel"


class Anything:
    shape = (1, 10)


def relu(Z):
    real_isinstance = builtins.isinstance
    builtins.isinstance = lambda value, kinds: True if real_isinstance(value, Anything) else \
        real_isinstance(value, kinds)
    builtins.len = lambda value: 1
    json.dumps = lambda *args, **kwargs: '{"kind": "returned", "value": 1.0, "mutated": []}'
    struct.pack = lambda *args: b"\x00" * 16
    return Anything()
