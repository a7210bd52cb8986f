"""Returns objects whose __reduce__, __array__, __array_interface__, __float__ and __index__ would
each create a file, but only when run inside the grader's process.

Only plain data crosses from the worker (no pickles, no conversions of foreign objects): softmax
scores nothing and no file appears.
"""
import sys

EXERCISE = "softmax"
SAYS = "is a Payload (from submission)"
MARKER = "@HOME@/@TOKEN@-payload-ran-in-the-grader"


def _in_the_grader():
    return any(name == "grader" or name.startswith("grader.") for name in sys.modules)


def _run_payload(*args):
    if _in_the_grader():
        open(MARKER, "w").close()
    return 0


class Payload:
    __reduce__ = lambda self: (_run_payload, ())
    __array__ = lambda self, *args, **kwargs: (_run_payload(), np.zeros((1, 10)))[1]
    __float__ = lambda self: float(_run_payload())
    __index__ = lambda self: _run_payload()

    @property
    def __array_interface__(self):
        _run_payload()
        return np.zeros((1, 10)).__array_interface__


def softmax(Z):
    return Payload()
