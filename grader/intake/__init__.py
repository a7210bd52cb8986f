"""Step 1, intake: the paths an instructor gives → named submissions (layouts.py: class
folders, nbgrader courses, LMS zips; submission.py: one submission read and its assignment)."""
