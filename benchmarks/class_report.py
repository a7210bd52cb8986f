"""The class report of a large class: the time of write_class_report, and how similarity grows.

    MNIST_DIR=/path/to/mnist python benchmarks/class_report.py [--count 1000] [--reports DIR]

The class is `--count` synthetic submissions, each a report folder and a notebook:

- Reports are real ones copied: `grade` on the bundled mnist_mlp example submissions (correct
  work and eleven classic mistakes; graded once into a temporary folder, not timed), or the
  mnist_mlp reports already in `--reports DIR`. Each copy gets its own name and grading time, and
  in a third of them a failing case's returned value becomes one only that student returned, with
  no diagnosis (an undiagnosed mistake of their own), so the identical-outputs step has work.
- Notebooks are the release notebook with each stub filled from a pool of implementations of
  that function: those of the example submissions and of the precision corpus
  (tests/class_corpus/: ten styles, correct and buggy), drawn at random, plus a line of the
  student's own in each of the eight functions, so no two students have the same code. Every 50th
  student hands in a copy of the previous one's notebook, so some pairs are flagged.

Timing: the wall clock of write_class_report(DIR, notebooks) — reading every report.json,
extracting and fingerprinting every notebook, similarity, writing class.json, class.md and
class.html — best of --repeat runs, each in a fresh process (so no cache of a previous run
helps), and the CPU time it used: on a machine shared with other work the wall clock is longer
than the CPU time by however much of a core the others took. Then the same after every
notebook was compared first, untimed, as `grade` compares each while the others are graded:
what an instructor waits for once the last submission is graded. Then, for a quarter,
half and all of the class, the similarity steps alone (fingerprints already made) and the number
of pair updates they make (the sum, over fingerprints rare enough to count, of holders choose 2):
it grows with the rare code shared, about linearly with the class, not with its square.

Target (issue 6): under 10 s for 1,000 submissions.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.classreport import (compare_ahead, read_reports, similarity,  # noqa: E402
                                write_class_report)
from grader.classreport.collect import compare  # noqa: E402

ASSIGNMENT = "mnist_mlp"
RELEASE = ROOT / "assignments" / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
EXAMPLES = ROOT / "assignments" / "examples" / ASSIGNMENT
CORPUS = ROOT / "tests" / "class_corpus"
STUBS = ("init_params", "relu", "softmax", "forward", "cross_entropy", "relu_derivative",
         "backprop", "update")
COPY_EVERY = 50
#: Lines of their own each student writes, in as many functions: what makes a submission its own.
OWN_LINES = 8
NUMPY_CALLS = ("sum", "mean", "max", "min", "abs", "square", "sqrt", "exp", "tanh", "std")


# --- the notebooks ------------------------------------------------------------------------------

def function_pool() -> dict[str, list[str]]:
    """stub name → distinct implementations (with the helpers each calls), from the example
    submissions and the precision corpus."""
    pool: dict[str, list[str]] = {name: [] for name in STUBS}
    for cells in [_notebook_cells(path) for path in sorted(EXAMPLES.glob("*/*.ipynb"))] + [
            [path.read_text()] for path in sorted(CORPUS.glob("*.py"))]:
        definitions = {}
        for source in cells:
            for node in ast.parse(source).body:
                name = _name(node)
                if name:
                    definitions[name] = (node, ast.get_source_segment(source, node))
        for stub in STUBS:
            if stub not in definitions:
                continue
            node, text = definitions[stub]
            called = {inner.id for inner in ast.walk(node) if isinstance(inner, ast.Name)}
            helpers = [definitions[name][1] for name in sorted(called)
                       if name in definitions and name not in STUBS]
            variant = "\n\n".join(helpers + [text])
            if variant not in pool[stub]:
                pool[stub].append(variant)
    return pool


def _notebook_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"
            and "def " in "".join(cell["source"])]


def _name(node: ast.stmt) -> str | None:
    if isinstance(node, ast.FunctionDef):
        return node.name
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
        return node.targets[0].id
    return None


def with_own_line(variant: str, stub: str, rng: random.Random) -> str:
    """`variant` with a line only this student wrote, just before the stub's last statement."""
    tree = ast.parse(variant)
    node = next(node for node in tree.body if _name(node) == stub)
    if not isinstance(node, ast.FunctionDef):
        return variant
    last = node.body[-1]
    lines = variant.splitlines()
    indent = re.match(r"\s*", lines[last.lineno - 1]).group(0)
    argument = node.args.args[0].arg if node.args.args else "0"
    own = (f"{indent}_{rng.choice('abcdefgh')}{rng.randrange(100)} = np.{rng.choice(NUMPY_CALLS)}"
           f"({argument}) * {rng.uniform(0.1, 9.9):.3f} + {rng.randrange(1000)}")
    return "\n".join(lines[:last.lineno - 1] + [own] + lines[last.lineno - 1:])


def make_notebooks(folder: Path, count: int, seed: int = 0) -> dict[str, Path]:
    rng = random.Random(seed)
    pool = function_pool()
    release = json.loads(RELEASE.read_text())
    notebooks, previous = {}, None
    for index in range(count):
        name = f"student{index:04d}"
        if index % COPY_EVERY == COPY_EVERY - 1 and previous is not None:
            chosen = previous
        else:
            # The first variant of each pool (the correct example) is what most students write.
            chosen = {stub: (pool[stub][0] if rng.random() < 0.4 else rng.choice(pool[stub]))
                      for stub in STUBS}
            for stub in rng.sample(STUBS, OWN_LINES):
                chosen[stub] = with_own_line(chosen[stub], stub, rng)
        notebook = copy.deepcopy(release)
        for cell in notebook["cells"]:
            stub = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if stub in chosen:
                cell["source"] = chosen[stub]
        path = folder / "notebooks" / name / f"{ASSIGNMENT}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(notebook, indent=1))
        notebooks[name], previous = path, chosen
    return notebooks


# --- the reports --------------------------------------------------------------------------------

def real_reports(reports: Path | None, scratch: Path) -> list[dict]:
    if reports is None:
        reports = scratch / "graded"
        print(f"grading the {ASSIGNMENT} examples once (not timed) …", flush=True)
        subprocess.run([sys.executable, "-m", "grader", *map(str, sorted(EXAMPLES.glob("*/"))),
                        "--out", str(reports)], check=True, stdout=subprocess.DEVNULL)
    found = [json.loads(path.read_text()) for path in sorted(reports.glob("*/report.json"))]
    found = [report for report in found if report.get("assignment") == ASSIGNMENT]
    if not found:
        sys.exit(f"no {ASSIGNMENT} report.json under {reports}")
    return found


def make_reports(out: Path, names: list[str], templates: list[dict], seed: int = 0) -> None:
    rng = random.Random(seed)
    for name in names:
        report = copy.deepcopy(rng.choice(templates))
        report["submission"] = name
        report["seconds"] = round(report["seconds"] * rng.uniform(0.7, 1.6), 3)
        if rng.random() < 1 / 3:
            _own_wrong_value(report, rng)
        (out / name).mkdir(parents=True)
        (out / name / "report.json").write_text(json.dumps(report, indent=2))


def _own_wrong_value(report: dict, rng: random.Random) -> None:
    """One case of one value check fails with a value only this student returned."""
    test = rng.choice([test for test in report["tests"] if test["check"] == "values"])
    case = rng.choice(test["cases"])
    numbers = ", ".join(f"{rng.uniform(-1, 1):.3f}" for _ in range(6))
    feedback = {"summary": "wrong values", "expected": "[[...]]", "got": f"[[{numbers}]]",
                "input": "", "hint": "general advice", "diagnosis": ""}
    test["cases"][test["cases"].index(case)] = {**case, "status": "failed", "feedback": feedback,
                                                "message": "wrong values"}


# --- measuring ----------------------------------------------------------------------------------

def pair_updates(prints: dict) -> int:
    holders = Counter(fingerprint for found in prints.values() for fingerprint in found)
    limit = similarity.rare_limit(len(prints))
    return sum(count * (count - 1) // 2 for count in holders.values() if 2 <= count <= limit)


def measure_in_fresh_process(out: Path, mapping: Path, ahead: bool = False
                             ) -> tuple[float, float]:
    """(wall, CPU) seconds of write_class_report in a new interpreter, after its imports (at the
    end of `grade` they are done): its caches start empty, as in a real run. ahead: every
    notebook is first compared, untimed, as `grade` compares each while the others are graded
    (classreport.compare_ahead), so what is timed is what is left once the last one is graded."""
    answer = subprocess.run([sys.executable, __file__, "--measure", str(out), str(mapping)]
                            + (["--ahead"] if ahead else []),
                            check=True, capture_output=True, text=True).stdout
    return tuple(json.loads(answer.splitlines()[-1]))


def measure(out: Path, mapping: Path, ahead: bool) -> None:
    notebooks = {name: Path(path) for name, path in json.loads(mapping.read_text()).items()}
    if ahead:
        for path in notebooks.values():
            compare_ahead(path, ASSIGNMENT)
    start, start_cpu = time.perf_counter(), time.process_time()
    write_class_report(out, notebooks)
    print(json.dumps([time.perf_counter() - start, time.process_time() - start_cpu]))


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        return measure(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4:5] == ["--ahead"])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--reports", type=Path, help="a grade --out folder to take reports from")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nnkit-class-report-") as scratch:
        scratch = Path(scratch)
        templates = real_reports(args.reports, scratch)
        out = scratch / "feedback"
        notebooks = make_notebooks(scratch, args.count)
        make_reports(out, sorted(notebooks), templates)
        mapping = scratch / "notebooks.json"
        mapping.write_text(json.dumps({name: str(path) for name, path in notebooks.items()}))
        times, cpu = zip(*(measure_in_fresh_process(out, mapping) for _ in range(args.repeat)))
        left = [measure_in_fresh_process(out, mapping, ahead=True)[0]
                for _ in range(args.repeat)]
        report = write_class_report(out, notebooks)
        print(f"write_class_report, {len(report.submissions)} submissions: best "
              f"{min(times):.2f} s of {args.repeat} (all: {', '.join(f'{t:.2f}' for t in times)}; "
              f"CPU {', '.join(f'{t:.2f}' for t in cpu)}); "
              f"{len(report.flagged)} pair(s) flagged, for {args.count // COPY_EVERY} copies "
              "handed in "
              f"({sum(p.kind == 'code' for p in report.similar_pairs)} by code, "
              f"{sum(p.kind == 'outputs' for p in report.similar_pairs)} by outputs)")
        print(f"left after `grade` compared each notebook as it was graded: best "
              f"{min(left):.2f} s (all: {', '.join(f'{t:.2f}' for t in left)})")
        results = read_reports(out)[0]
        compared = [compare(path, ASSIGNMENT) for _, path in sorted(notebooks.items())]
        names = sorted(notebooks)
        print(f"{'class':>6} {'code_pairs s':>13} {'output_pairs s':>15} {'pair updates':>13}")
        for size in sorted({args.count // 4, args.count // 2, args.count}):
            codes = {name: item.code for name, item in zip(names[:size], compared)}
            prints = {name: item.prints for name, item in zip(names[:size], compared)}
            start = time.perf_counter()
            similarity.code_pairs(codes, prints)
            middle = time.perf_counter()
            similarity.output_pairs(results[:size])
            end = time.perf_counter()
            print(f"{size:>6} {middle - start:>13.3f} {end - middle:>15.3f} "
                  f"{pair_updates(prints):>13}")


if __name__ == "__main__":
    main()
