"""The renderers on a hand-built result: the JSON schema, what a student reads, and escaping."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from rich.console import Console

from grader.render import html, jsonreport, markdown, terminal, write_reports
from grader.results import CaseResult, CheckResult, ExerciseResult, LoadError, Skipped, \
    SubmissionResult

HOSTILE = "<script>alert('x')</script> [bold]not markup[/bold] ``` | *"


def failing_softmax() -> CheckResult:
    feedback = {"summary": "softmax(Z) returned nan for large logits.",
                "expected": "[[0.5, 0.5, 0.0, ...]]", "got": "[[nan, nan, 0.0, ...]]",
                "input": "Z = [[1000.0, 1000.0, -3.0, ...]]",
                "hint": "Subtract each sample's maximum logit before exp."}
    return CheckResult(
        name="softmax: large logits", exercise="softmax", check="large_logits", status="failed",
        score=1.0, max_score=3.0, message=feedback["summary"], feedback=feedback,
        cases=[CaseResult("logits of ±1000", "failed", feedback["summary"], feedback),
               CaseResult("every logit 1000-float32", "failed", feedback["summary"], feedback),
               CaseResult("every logit −1000", "passed")])


def hand_built(name: str = "alice", output: str = "epoch 1\n") -> SubmissionResult:
    relu = ExerciseResult("relu", [
        CheckResult("relu: values", "relu", "values", "passed", 2.0, 2.0, "",
                    cases=[CaseResult("m=1", "passed"), CaseResult("m=3", "passed")])])
    softmax = ExerciseResult("softmax", [
        CheckResult("softmax: values", "softmax", "values", "passed", 4.0, 4.0, ""),
        failing_softmax()])
    backprop = ExerciseResult("backprop", [
        CheckResult("backprop: values", "backprop", "values", "timeout", 0.0, 6.0,
                    "backprop did not finish within 10 s.", None, [CaseResult("", "timeout")])])
    return SubmissionResult(
        submission=name, assignment="mnist_mlp", score=7.0, max_score=15.0,
        exercises=[relu, softmax, backprop],
        skipped=[Skipped(11, 3, "`for epoch in range(10): ...` (a loop)")],
        problems=["code cell 5 has a syntax error at line 2: invalid syntax; nothing in this cell was graded"],
        load_errors=[LoadError(2, "NameError: name 'tf' is not defined")],
        isolation="bubblewrap", output=output, seconds=1.234, kit_version="0.1.0")


def test_json_has_the_report_schema():
    data = json.loads(jsonreport.render(hand_built()))
    assert {"submission", "assignment", "score", "max_score", "tests"} <= set(data)
    assert (data["score"], data["max_score"], data["percent"]) == (7.0, 15.0, 46.67)
    test = data["tests"][2]
    assert {"name", "exercise", "status", "score", "max_score", "message"} <= set(test)
    assert (test["name"], test["exercise"], test["status"], test["score"]) == (
        "softmax: large logits", "softmax", "failed", 1.0)
    assert test["feedback"]["hint"].startswith("Subtract")
    assert [t["status"] for t in data["tests"]] == ["passed", "passed", "failed", "timeout"]
    assert {"skipped", "problems", "load_errors", "isolation", "seconds", "kit_version"} <= set(data)


def test_json_round_trips():
    result = hand_built()
    assert jsonreport.parse(jsonreport.render(result)) == result


def test_markdown_shows_expected_got_input_and_hint():
    text = markdown.render(hand_built())
    assert "**Score: 7 / 15 (47 %)**" in text
    assert "| ✅ | relu | 2 / 2 | 1 of 1 |" in text and "| ❌ | softmax | 5 / 7 | 1 of 2 |" in text
    section = text[text.index("### ❌ large logits"):]
    for expected in ["**Expected:**", "[[0.5, 0.5, 0.0, ...]]", "**Got:**", "[[nan, nan",
                     "**Input:**", "Z = [[1000.0", "**Hint:** Subtract each sample's maximum"]:
        assert expected in section
    assert "Also did not pass on: every logit 1000, float32" in section
    assert "- code cell 12, line 3: `for epoch in range(10): ...` (a loop)" in text
    assert "- code cell 3 raised an error while loading: NameError" in text


def test_markdown_escapes_student_text():
    text = markdown.render(hand_built(name="<b>eve</b>", output=HOSTILE))
    assert "<b>" not in text and "<script>" not in text.split("```")[0]
    output = text[text.index("## What your code printed"):]
    fence = re.search(r"^(`{4,})text$", output, re.MULTILINE).group(1)  # outgrows the ``` inside
    assert f"{fence}text\n{HOSTILE}\n{fence}" in output
    # No quote block, link or table cell can be smuggled into prose either.
    assert markdown.prose("> [x](http://e) | y\n<b>") == "\\> \\[x](http://e) \\| y  \n&lt;b>"


def test_html_is_self_contained_and_escapes_everything():
    page = html.render(hand_built(name="<img src=x onerror=alert(1)>", output=HOSTILE))
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert not re.search(r"(src|href)=\"?(https?:)?//", page)   # no external assets
    assert "<style>" in page and page.startswith("<!DOCTYPE html>")


def test_html_shows_only_checks_that_lost_points():
    page = html.render(hand_built())
    assert "large logits — 1 / 3" in page and "Subtract each sample" in page
    assert "values — 2 / 2" not in page


def test_terminal_renders_the_table_and_panels():
    console = Console(record=True, width=100, color_system=None)
    terminal.print_report(hand_built(output=HOSTILE), console)
    text = console.export_text()
    assert "alice" in text and "7 / 15 (47 %)" in text
    assert re.search(r"✔\s+relu\s+2 / 2\s+1/1", text)
    assert re.search(r"✘\s+softmax\s+5 / 7\s+1/2", text)
    assert "expected: [[0.5, 0.5" in text and "hint: Subtract" in text
    assert "1 top-level statement not run" in text and "isolation: bubblewrap" in text


def test_terminal_prints_student_markup_as_typed():
    console = Console(record=True, width=200, color_system=None)
    result = hand_built(name="[bold]mallory[/bold]")
    terminal.print_report(result, console)
    assert "[bold]mallory[/bold]" in console.export_text()


def test_reports_are_written_atomically(tmp_path, monkeypatch):
    folder = write_reports(hand_built(), tmp_path)
    assert sorted(path.name for path in folder.iterdir()) == ["report.html", "report.json", "report.md",
                                                                "results.json"]

    # A failed write leaves the previous report whole and no temporary file behind.
    def fail(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr("grader.render.atomic.os.replace", fail)
    before = (folder / "report.json").read_text()
    with pytest.raises(OSError):
        write_reports(hand_built(output="new"), tmp_path)
    assert (folder / "report.json").read_text() == before
    assert sorted(path.name for path in folder.iterdir()) == ["report.html", "report.json", "report.md",
                                                                "results.json"]


def test_reports_are_readable_by_everyone(tmp_path):
    """Students, TAs and gradebook tools read the reports: they must not be private temp files."""
    folder = write_reports(hand_built(), tmp_path)
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o777 == 0o644, path.name


def test_checks_failing_for_one_reason_say_it_once():
    reason = "backprop is not defined (did you delete or rename its cell?)"
    checks = [CheckResult(f"backprop: {name}", "backprop", name, "failed", 0.0, points, reason)
              for name, points in [("shapes", 2.0), ("values", 6.0), ("no_mutation", 2.0)]]
    result = SubmissionResult("bob", "mnist_mlp", 0.0, 10.0, [ExerciseResult("backprop", checks)])
    for text in [markdown.render(result), html.render(result)]:
        assert text.count(reason) == 1
        assert "shapes, values, no mutation — 0 / 10" in text
    console = Console(record=True, width=120, color_system=None)
    terminal.print_report(result, console)
    assert console.export_text().count(reason) == 1


def test_code_spans_in_prose_stay_code_and_stay_escaped():
    result = replace(hand_built(), skipped=[Skipped(0, 1, "`print('<img src=x>')` (a call) <b>")])
    page = html.render(result)
    assert "<code>print(&#x27;&lt;img src=x&gt;&#x27;)</code> (a call) &lt;b&gt;" in page
    text = markdown.render(result)
    # Inside a code span nothing is interpreted; outside it, HTML is escaped.
    assert "- code cell 1, line 1: `print('<img src=x>')` (a call) &lt;b>" in text


def test_terminal_escape_sequences_never_reach_the_markdown_or_html(tmp_path):
    hostile = "\x1b[2J\x1b]0;pwned\x07 line one\r\nline two\x00"
    folder = write_reports(hand_built(output=hostile), tmp_path)
    for name in ["report.md", "report.html"]:
        text = (folder / name).read_text()
        assert not any(ord(char) < 32 and char not in "\n\t" for char in text), name
        assert "line one\nline two" in text, name
    assert json.loads((folder / "report.json").read_text())["output"] == hostile


# --- a check that was not graded (grade --skip-mnist) -------------------------------------------

NOT_GRADED_WHY = ("not run for this submission, so it counts neither in your score nor in the "
                  "maximum")


def without_mnist() -> SubmissionResult:
    """hand_built's relu passed, plus an mnist_accuracy the instructor left out."""
    mnist = ExerciseResult("mnist_accuracy", [
        CheckResult(f"mnist_accuracy: {check}", "mnist_accuracy", check, "skipped", 0.0, 0.0,
                    NOT_GRADED_WHY, cases=[CaseResult("", "skipped", NOT_GRADED_WHY)])
        for check in ("learns", "accuracy")])
    relu = hand_built().exercises[0]
    return SubmissionResult("alice", "mnist_mlp", 2.0, 2.0, [relu, mnist], isolation="bubblewrap",
                            seconds=1.0, kit_version="0.1.0")


def test_a_not_graded_exercise_counts_for_nothing_and_round_trips():
    result = without_mnist()
    mnist = result.exercises[1]
    assert (mnist.graded, mnist.passed, mnist.score, mnist.max_score) == (False, True, 0, 0)
    assert not any(check.graded for check in mnist.checks)
    assert result.percent == 100
    data = json.loads(jsonreport.render(result))
    assert [test["status"] for test in data["tests"]] == ["passed", "skipped", "skipped"]
    assert (data["score"], data["max_score"], data["percent"]) == (2.0, 2.0, 100.0)
    assert jsonreport.parse(jsonreport.render(result)) == result


def test_markdown_and_html_say_not_graded_and_nothing_else():
    text = markdown.render(result := without_mnist())
    assert "**Score: 2 / 2 (100 %)**" in text
    assert "| ➖ | mnist_accuracy | not graded | not run |" in text
    assert f"## Not graded\n\n- mnist_accuracy: {NOT_GRADED_WHY}.\n" in text
    assert "## mnist_accuracy" not in text and "(skipped)" not in text   # no failure section
    page = html.render(result)
    assert ('<td class="skipped">–</td><td>mnist_accuracy</td>'
            '<td class="num skipped">not graded</td>') in page
    assert f"<h2>Not graded</h2>\n<ul><li>mnist_accuracy: {NOT_GRADED_WHY}.</li></ul>" in page
    assert "mnist_accuracy —" not in page                                  # no failure section
    for shown in (text, page):
        assert "MNIST_DIR" not in shown and "internet" not in shown


def test_terminal_shows_a_not_graded_row():
    console = Console(record=True, width=100, color_system=None)
    terminal.print_report(without_mnist(), console)
    text = console.export_text()
    assert re.search(r"–\s+mnist_accuracy\s+not graded\s+not run", text)
    assert "2 / 2 (100 %)" in text and "skipped" not in text


def test_cases_are_named_by_their_input_not_by_a_test_id():
    """Every parametrized case of the hidden suites has a label in words ("a batch of 5",
    "9 samples, 128 hidden units"), which is what reports show."""
    import pytest as pytest_module
    from grader.checks.scoring import SUITES_DIR

    collected = []

    class Collector:
        def pytest_collection_modifyitems(self, items):
            collected.extend(item.callspec.id for item in items if hasattr(item, "callspec"))

    pytest_module.main([str(SUITES_DIR), "--collect-only", "-q", "-p", "no:cacheprovider",
                        "--rootdir", str(SUITES_DIR), "--confcutdir", str(SUITES_DIR),
                        "-o", "addopts="], plugins=[Collector()])
    assert collected
    for label in collected:
        assert label.isascii(), label          # pytest would escape anything else, repeatedly
        assert any(word in label for word in ("sample", "batch", "unit", "sizes", "seed", "lr ",
                                              "logit", "float", "zeros", "negative")), label
