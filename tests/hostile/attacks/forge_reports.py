"""Writes report files itself: a full-marks report.json, report.md, report.html and results.json
for itself, a zero for another student, a grades.csv, and prints a report-like text.

The reports' folder is not in the worker's file system, and the grader writes every report after
grading: the reports are the grader's own.
"""
import json
import os

EXERCISE = "softmax"
PASSES = ("shape_and_dtype", "no_mutation")
SAYS = "returned wrong values"
FORGED = "forged-by-@TOKEN@"
OUT = "@OUT@"


def _forged(name, score):
    return json.dumps({"submission": name, "assignment": "mnist_mlp", "score": score,
                       "max_score": 100, "percent": score, "tests": [], "forged": FORGED})


def softmax(Z):
    forged = {
        os.path.join(OUT, "forge_reports", "report.json"): _forged("forge_reports", 100),
        os.path.join(OUT, "forge_reports", "report.md"): f"# 100 / 100 {FORGED}",
        os.path.join(OUT, "forge_reports", "report.html"): f"<h1>100 / 100 {FORGED}</h1>",
        os.path.join(OUT, "forge_reports", "results.json"): json.dumps({"score": 100,
                                                                          "forged": FORGED}),
        os.path.join(OUT, "victim", "report.json"): _forged("victim", 0),
        os.path.join(OUT, "grades.csv"): f"forge_reports,100,{FORGED}\nvictim,0,{FORGED}\n",
    }
    for path, text in forged.items():
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as file:
                file.write(text)
        except OSError:
            pass
    print("forge_reports  mnist_mlp  100 / 100 (100 %)")
    return Z * 0
