"""nbgrader's version of grade's hidden suites, for benchmarks/grade_vs_nbgrader.py.

course.py builds the nbgrader course and its submissions; cells/ holds the hidden test cells'
sources (common.py, then one file per exercise of grader/checks/rubric.toml), which are never imported.
"""
