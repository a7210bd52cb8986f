"""The class report: what it counts, what it flags as shared work and what it does not, and the
files it writes.

The precision corpus (tests/class_corpus/) is nine solutions of mnist_mlp written independently,
in different styles, correct and buggy, and judy.py: bob.py with renamed variables, reordered
helpers and changed comments. Only bob and judy may be flagged.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from grader.classreport import similarity, top_misconceptions, write_class_report
from grader.classreport.__main__ import main as classreport_main
from grader.classreport.fingerprints import fingerprints
from grader.classreport.model import build
from grader.classreport.owncode import own_code
from grader.results import SubmissionResult
from handmade_reports import ARRAY, CORPUS, OTHER_ARRAY, failing, passing, result, write_reports

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "assignments" / "examples" / "mnist_mlp"
RELEASE = ROOT / "assignments" / "release" / "mnist_mlp" / "mnist_mlp.ipynb"
HOSTILE = "<b onclick=alert(1)>eve"   # a folder name cannot hold a slash


def corpus_codes() -> dict:
    return {path.stem: own_code(path, "mnist_mlp") for path in sorted(CORPUS.glob("*.py"))}


# --- own code -----------------------------------------------------------------------------------

def test_own_code_leaves_out_the_starter_code(tmp_path):
    """A release notebook with relu filled in under its docstring and hint: only the student's
    line is theirs, and the stubs left as they were are no code at all."""
    notebook = json.loads(RELEASE.read_text())
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.startswith("def relu(Z):"):
            cell["source"] = re.sub(r"raise NotImplementedError\(.*\)",
                                    "return np.maximum(Z, 0.0)  # mine", source)
    path = tmp_path / "mnist_mlp.ipynb"
    path.write_text(json.dumps(notebook))
    code = {function.name: function for function in own_code(path, "mnist_mlp").functions}
    assert code["relu"].lines == ("def relu(Z):", "    return np.maximum(Z, 0.0)  # mine")
    assert [token for token, _ in code["relu"].tokens] == [
        "→", "return", "np", ".", "maximum", "(", "V", ",", "0.0", ")", "⏎"]
    assert all(function.tokens == () for name, function in code.items() if name != "relu")
    shown = "\n".join(line for function in code.values() for line in function.lines)
    assert "NotImplementedError" not in shown and "Hint" not in shown and '"""' not in shown


def test_own_code_of_a_release_notebook_left_as_stubs_is_empty():
    code = own_code(EXAMPLES / "stubs_left" / "mnist_mlp.ipynb", "mnist_mlp")
    stubs = {function.name: function.tokens for function in code.functions}
    assert stubs["backprop"] == () and stubs["update"] == ()


def test_renaming_reordering_and_recommenting_change_no_fingerprint(tmp_path):
    original = tmp_path / "a.py"
    original.write_text(
        "import numpy as np\n\n"
        "def scale(v, k):\n    # halve it\n    return v * k / 2\n\n"
        "def softmax(Z):\n    top = Z.max(axis=1, keepdims=True)\n"
        "    e = np.exp(Z - top)\n    return e / e.sum(axis=1, keepdims=True)\n")
    disguised = tmp_path / "b.py"
    disguised.write_text(
        "import numpy as numpy_\n\n"
        "def softmax(logits):\n    '''My own softmax.'''\n"
        "    biggest = logits.max(axis=1, keepdims=True)  # stability\n"
        "    powers = numpy_.exp(logits - biggest)\n"
        "    return powers / powers.sum(axis=1, keepdims=True)\n\n"
        "def times_half(value, factor):\n    return value * factor / 2\n")
    assert set(fingerprints(own_code(original, None))) == set(
        fingerprints(own_code(disguised, None)))


# --- shared code --------------------------------------------------------------------------------

def test_precision_corpus_flags_only_the_disguised_copy():
    pairs = similarity.code_pairs(corpus_codes())
    assert [(pair.a, pair.b) for pair in pairs] == [("bob", "judy")]
    assert pairs[0].score >= 0.9


def test_code_a_whole_class_writes_the_same_way_is_no_evidence(tmp_path):
    """Twelve identical correct solutions: each line is shared by everyone, so by no pair."""
    codes = {}
    for index in range(12):
        path = tmp_path / f"student{index}.py"
        shutil.copy(CORPUS / "alice.py", path)
        codes[path.stem] = own_code(path, "mnist_mlp")
    assert similarity.code_pairs(codes) == []


def test_rare_code_shared_in_a_larger_class_is_flagged(tmp_path):
    """The copy is found among many submissions that share the common code."""
    codes = corpus_codes()
    for index in range(40):
        path = tmp_path / f"alike{index}.py"
        shutil.copy(CORPUS / "alice.py", path)
        codes[path.stem] = own_code(path, "mnist_mlp")
    assert [(pair.a, pair.b) for pair in similarity.code_pairs(codes)] == [("bob", "judy")]


# --- identical outputs --------------------------------------------------------------------------

def classmates(count: int = 6) -> list[SubmissionResult]:
    return [passing(f"peer{index}") for index in range(count)]


def test_the_same_rare_wrong_values_in_two_exercises_are_flagged():
    shared = [failing("forward", ARRAY), failing("softmax", OTHER_ARRAY)]
    results = classmates() + [result(name, *shared) for name in ("ann", "ben")]
    [pair] = similarity.output_pairs(results)
    assert (pair.a, pair.b, pair.kind) == ("ann", "ben", "outputs")
    assert {match["got"] for match in pair.evidence["matches"]} == {ARRAY, OTHER_ARRAY}


@pytest.mark.parametrize("why, checks", [
    ("a known misconception", [failing("forward", ARRAY, "forward.missing_bias"),
                               failing("softmax", OTHER_ARRAY, "softmax.overflow")]),
    ("one exercise: one bug shows in several checks",
     [failing("forward", ARRAY), failing("forward", OTHER_ARRAY, check="cache")]),
    ("a lone number: any bug of that kind gives it", [failing("forward", "10.101"),
                                                      failing("softmax", "2.5")]),
])
def test_wrong_values_that_are_no_evidence(why, checks):
    results = classmates() + [result("ann", *checks), result("ben", *checks)]
    assert similarity.output_pairs(results) == [], why


def test_wrong_values_many_share_are_no_evidence():
    checks = [failing("forward", ARRAY), failing("softmax", OTHER_ARRAY)]
    results = classmates() + [result(f"s{index}", *checks) for index in range(5)]
    assert similarity.output_pairs(results) == []


# --- counting -----------------------------------------------------------------------------------

def test_misconceptions_are_counted_by_id_once_per_submission():
    results = [
        result("ann", failing("backprop", ARRAY, "backprop.missing_1_over_m"),
               failing("backprop", OTHER_ARRAY, "backprop.missing_1_over_m", check="shapes")),
        result("ben", failing("backprop", "other text, same id", "backprop.missing_1_over_m")),
        result("cat", failing("update", ARRAY, "update.not_in_the_catalogue")),
        passing("dan"),
    ]
    found = {item.id: item for item in build(results, {}).misconceptions}
    assert (found["backprop.missing_1_over_m"].count,
            found["backprop.missing_1_over_m"].submissions) == (2, ["ann", "ben"])
    assert found["backprop.missing_1_over_m"].text == "missing 1/m in backprop"
    assert found["update.not_in_the_catalogue"].text == "update.not_in_the_catalogue"


def test_figures_of_a_class():
    results = [passing("ann"), passing("ben"),
               result("cat", failing("relu", ARRAY), isolation="limits only: no bwrap",
                      problems=["code cell 3 has a syntax error"])]
    report = build(results, {})
    assert [band.count for band in report.score_histogram if band.count] == [1, 2]
    [relu] = report.exercises
    assert (relu.exercise, relu.full_marks, relu.submissions) == ("relu", 2, 3)
    assert [row.submission for row in report.problems] == ["cat"]
    assert {group.mode: group.submissions for group in report.isolation} == {
        "bubblewrap": ["ann", "ben"], "limits only: no bwrap": ["cat"]}


def test_terminal_shows_the_top_misconceptions():
    results = [result(name, failing("backprop", ARRAY, "backprop.missing_1_over_m"))
               for name in ("ann", "ben")]
    console = Console(record=True, width=120)
    console.print(top_misconceptions(build(results, {})))
    text = console.export_text()
    assert "missing 1/m in backprop" in text and "ann, ben" in text


# --- the files ----------------------------------------------------------------------------------

def test_write_class_report_writes_the_three_files(tmp_path):
    results = [result(name, failing("backprop", ARRAY, "backprop.missing_1_over_m"))
               for name in ("ann", "ben")] + [passing(HOSTILE)]
    write_reports(tmp_path, results)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "report.json").write_text("{not json")
    report = write_class_report(tmp_path)
    assert len(report.submissions) == 3 and report.unreadable == ["broken"]
    data = json.loads((tmp_path / "class.json").read_text())
    assert data["submission_count"] == 3
    assert {"low", "high", "count"} <= set(data["score_histogram"][0])
    assert {"exercise", "full_marks", "mean"} <= set(data["exercises"][0])
    assert data["misconceptions"][0] == {
        "id": "backprop.missing_1_over_m", "exercise": "backprop",
        "text": "missing 1/m in backprop", "count": 2, "submissions": ["ann", "ben"]}
    page = (tmp_path / "class.html").read_text()
    assert HOSTILE not in page and "&lt;b onclick=alert(1)&gt;eve" in page
    assert "ann/report.html" in page
    assert "missing 1/m in backprop" in (tmp_path / "class.md").read_text()


def test_class_html_loads_nothing(tmp_path):
    write_reports(tmp_path, [passing("ann"), passing("ben")])
    write_class_report(tmp_path, {"ann": CORPUS / "bob.py", "ben": CORPUS / "judy.py"})
    page = (tmp_path / "class.html").read_text()
    without_namespace = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for needle in ("http:", "https:", "<script", "<link", "src=", "@import", "url("):
        assert needle not in without_namespace


def test_a_flagged_pair_is_shown_side_by_side(tmp_path):
    write_reports(tmp_path, [passing(name) for name in corpus_codes()])
    notebooks = {path.stem: path for path in CORPUS.glob("*.py")}
    report = write_class_report(tmp_path, notebooks)
    assert report.flagged == [("bob", "judy")]
    page = (tmp_path / "class.html").read_text()
    pair = page[page.index('<section class="pair"'):]
    pair = pair[:pair.index("</section>")]
    assert "he_normal" in pair and "scaled_gaussian" in pair      # the two codes
    assert "<mark>" in pair and "fingerprints" in pair            # with the evidence


def test_a_recorded_notebook_is_compared_and_a_broken_one_only_left_out(tmp_path):
    """A report may record its notebook ("source"); a notebook nbformat would refuse (a cell
    whose source is numbers) costs only its own comparison."""
    write_reports(tmp_path, [passing("bob"), passing("judy"), passing("mallory")])
    for name in ("bob", "judy"):
        path = tmp_path / name / "report.json"
        path.write_text(json.dumps({**json.loads(path.read_text()),
                                    "source": str(CORPUS / f"{name}.py")}))
    broken = tmp_path / "mallory.ipynb"
    broken.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": [1, 2], "metadata": {}, "outputs": []}]}))
    report = write_class_report(tmp_path, {"mallory": broken})
    assert report.flagged == [("bob", "judy")]
    assert report.code_compared == ["bob", "judy"] and report.code_missing == ["mallory"]


def test_the_command_rebuilds_from_the_reports_in_dir(tmp_path, capsys):
    write_reports(tmp_path, [passing("bob"), passing("judy")])
    assert classreport_main([str(tmp_path), str(CORPUS / "bob.py"), str(CORPUS / "judy.py"),
                             "--assignment", "mnist_mlp"]) == 0
    assert json.loads((tmp_path / "class.json").read_text())["similar_pairs"][0]["kind"] == "code"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        ".notebooks.json", "bob", "class.html", "class.json", "class.md", "judy"]
    assert set(json.loads((tmp_path / ".notebooks.json").read_text())) == {"bob", "judy"}
    assert [path.name for path in (tmp_path / "bob").iterdir()] == ["report.json"]
    assert classreport_main([str(tmp_path / "nowhere")]) == 2


# --- graded for real ----------------------------------------------------------------------------

@pytest.mark.slow
def test_precision_corpus_graded_flags_only_the_copy(tmp_path, mnist_dir, monkeypatch):
    """The corpus graded by `grade`, then the class report from its reports: no independent pair
    is flagged, by code or by outputs; the copy is, by its code."""
    from grader.cli import main as grade_main

    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    paths = sorted(CORPUS.glob("*.py"))
    out = tmp_path / "feedback"
    assert grade_main([*map(str, paths), "--assignment", "mnist_mlp", "--out", str(out)]) == 0
    report = write_class_report(out, {path.stem: path for path in paths})
    assert report.flagged == [("bob", "judy")]
    assert "code" in {pair.kind for pair in report.similar_pairs}
    assert {row.submission: row.percent for row in report.submissions}["alice"] == 100


def test_grade_writes_the_class_report_after_every_batch(tmp_path, capsys):
    """`grade` itself: a batch ends with DIR/class.* and the top misconceptions on the terminal;
    a student's own report never names another student."""
    from grader.cli import main as grade_main

    examples = Path(__file__).parents[1] / "assignments" / "examples" / "mnist_mlp"
    names = ["correct", "missing_1_over_m", "softmax_wrong_axis"]
    out = tmp_path / "feedback"
    assert grade_main([*(str(examples / name) for name in names), "--out", str(out),
                       "--skip-mnist"]) == 0
    shown = capsys.readouterr().out
    assert "Misconceptions" in shown and "class report:" in shown
    data = json.loads((out / "class.json").read_text())
    assert sorted(item["submission"] for item in data["submissions"]) == sorted(names)
    ids = {item["id"] for item in data["misconceptions"]}
    assert "backprop.missing_1_over_m" in ids
    for name in names:
        for report in ("report.md", "report.html", "report.json"):
            text = (out / name / report).read_text()
            assert not any(other in text for other in names if other != name), (name, report)


def test_grade_compares_each_notebook_as_it_is_graded_and_the_report_reuses_it(tmp_path):
    """The class report's thread extracts and fingerprints each graded notebook while the others
    are graded; the report at the end finds them (the very objects), and says what it would
    have found by itself (the same code, the same fingerprints)."""
    from grader.classreport import collect
    from grader.cli import _prepare_class_report_meanwhile
    from grader.intake.submission import find_submissions

    names = ["correct", "missing_1_over_m"]
    for name in names:
        shutil.copytree(EXAMPLES / name, tmp_path / name)
    submissions = find_submissions([str(tmp_path / name) for name in names])
    ahead = _prepare_class_report_meanwhile(submissions)
    for submission in submissions:
        ahead(submission)
    ahead(None)                                   # waits for the thread
    for submission in submissions:
        path, stat = submission.notebook_path.resolve(), submission.notebook_path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns, "mnist_mlp")
        assert key in collect._COMPARED, submission.name
        compared = collect._COMPARED[key]
        assert collect.compare(submission.notebook_path, "mnist_mlp") is compared
        fresh = collect._compare(path, "mnist_mlp")
        assert (compared.code, compared.prints) == (fresh.code, fresh.prints)
    # A notebook changed since is compared again, not taken from memory.
    notebook = submissions[0].notebook_path
    before = collect.compare(notebook, "mnist_mlp")
    notebook.write_text(notebook.read_text() + " ")
    assert collect.compare(notebook, "mnist_mlp") is not before
