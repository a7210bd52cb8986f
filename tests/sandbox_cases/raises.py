import numpy as np


def inner(Z):
    raise ValueError(f"shapes do not match: {Z.shape}")
