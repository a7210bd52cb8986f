# A helper that raises, called from another cell.


def inner(Z):
    raise ValueError(f"shapes do not match: {Z.shape}")
