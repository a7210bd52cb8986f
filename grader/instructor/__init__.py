"""The instructor's tools around the pipeline: release (the student notebooks), selftest
(the suites against the solutions), bundle (Gradescope), examples (the example submissions)."""
