"""Imports the kit's reference solution and returns its softmax.

The worker's import path holds the standard library alone (NumPy is imported from its own
folder), bubblewrap shows it nothing of the kit, and Landlock lets it read nothing of it, so the
import fails and softmax scores nothing, however the kit is installed.
"""
EXERCISE = "softmax"
SAYS = "No module named 'reference'"


def softmax(Z):
    import reference
    return reference.softmax(Z)
