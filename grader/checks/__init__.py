"""Step 4, the checks: the hidden suites (suites/), their helpers (expect, feedback,
gradient_check, diagnose, explain), the rubric, and scoring.py, which runs them against a student's
sandboxed functions and turns their outcomes into points."""
