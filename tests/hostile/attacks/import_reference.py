"""Imports the kit's reference solution and returns its softmax.

Under bubblewrap the kit is not in the worker's file system, so the import fails and softmax
scores nothing. In plain mode the import works: plain mode does not hide the kit (documented).
"""
EXERCISE = "softmax"
SAYS = "No module named 'reference'"


def softmax(Z):
    import reference
    return reference.softmax(Z)
