"""Returns 320 MB of data from forward: more than the grader accepts in one reply.

The grader reads the frame's announced size first and refuses it before allocating anything:
forward scores nothing.
"""
EXERCISE = "forward"
SAYS = "more than the grader's limit of 268435456"


def forward(X, params):
    return np.zeros(40 << 20), {"Z1": np.zeros(1), "A1": np.zeros(1), "Z2": np.zeros(1),
                                "A2": np.zeros(1)}
