"""The assignments this kit grades, and how to recognise which one a submission is.

Each assignment fixes the notation its notebook uses and the network's default hidden size.
A notebook names its assignment in its metadata (`metadata.nnkit.assignment`, written by the
source notebooks) or, failing that, by its file name (`mnist_mlp.ipynb`, `mnist_mlp_columns.ipynb`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Assignment:
    id: str
    notation: str      # "rows" or "columns", as in reference.notation
    hidden: int        # the tutorial's hidden size
    notebook: str      # the notebook's file name in source/, release/ and submissions
    title: str


ASSIGNMENTS = {
    "mnist_mlp": Assignment("mnist_mlp", "rows", 128, "mnist_mlp.ipynb",
                            "MNIST MLP, samples as rows (784-128-10)"),
    "mnist_mlp_columns": Assignment("mnist_mlp_columns", "columns", 10, "mnist_mlp_columns.ipynb",
                                    "MNIST MLP, samples as columns, W·X (784-10-10)"),
}

#: The key under a notebook's metadata that names its assignment.
METADATA_KEY = "nnkit"


def get_assignment(assignment_id: str) -> Assignment:
    try:
        return ASSIGNMENTS[assignment_id]
    except KeyError:
        known = ", ".join(sorted(ASSIGNMENTS))
        raise ValueError(f"unknown assignment {assignment_id!r}; known assignments: {known}") from None


def assignment_from_filename(filename: str) -> Assignment | None:
    """The assignment whose notebook is called `filename` (case-insensitive), if any."""
    for assignment in ASSIGNMENTS.values():
        if assignment.notebook.lower() == filename.lower():
            return assignment
    return None
