"""nbgrader settings of the nnkit course folder (the folder this file is in).

`nnkit release` runs `nbgrader generate_assignment` here for every assignment; running
`nbgrader generate_assignment mnist_mlp --force` in this folder by hand gives the same notebook.
Every setting that shapes a release is spelled out, so a personal ~/.jupyter/nbgrader_config.py
cannot make two machines produce different releases.
"""

import os

c = get_config()  # noqa: F821 — provided by traitlets when nbgrader loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "nnkit"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]

# Releases are made without a gradebook: nothing is recorded, so no gradebook.db appears, and
# the hidden suites in grader/suites (not nbgrader's autograder cells) do the grading.
c.GenerateAssignment.no_database = True
c.SaveCells.enabled = False

# What replaces each `### BEGIN SOLUTION` … `### END SOLUTION` block. The hint specific to each
# function is a comment just above the block in the source, so it survives into the release.
c.ClearSolutions.code_stub = {
    "python": 'raise NotImplementedError("Replace this line with your code for this function.")',
}
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"

# No header or footer notebooks; outputs are cleared (nbgrader's default), so a release never
# shows the results of running the solutions.
c.IncludeHeaderFooter.header = ""
c.IncludeHeaderFooter.footer = ""
c.ClearOutput.enabled = True
