"""The hostile corpus: submissions that try to cheat or to harm, built at test time.

Each attack is one file in `tests/hostile/attacks/`, readable as the cell a student would hand in:

    '''What it tries.                  ← the first paragraph is its summary

    How the grader contains it.'''
    EXERCISE = "softmax"      # the exercise cell it replaces; None: an extra cell after the setup
    PASSES = ("shape_and_dtype",)   # checks of EXERCISE it may still pass (optional, default none)
    SAYS = "No module named"  # how its containment shows in the report (optional): a phrase of
                              # EXERCISE's messages, the load errors or the problems

    def softmax(Z): ...       # the attack
    # %%                      ← optional: what follows is one more cell, added after the first
    %%bash                    (later cells may use IPython syntax; the first must be Python)

A submission is the full-marks example notebook (`assignments/examples/mnist_mlp/correct`) with
that one cell replaced or added, so its honest parts are known: every exercise but EXERCISE (and
the MNIST check, when EXERCISE is one of the four functions it trains with) must keep its points.

The attacks aim at places the test controls, named by placeholders that `Targets.render` fills in:
"@TOKEN@" (unique per run: every file an attack writes and every process it starts carries it),
"@HOME@", "@TMP@" (the grader's TMPDIR), "@KIT@", "@OUT@" (grade's --out), "@VICTIM@" (another
student's submission folder), "@PORT@" (a TCP port the test listens on). Three stand for source
too long to read: "@DEEP_PARENS@" (1 in 5000 pairs of parentheses), "@LONG_SUM@" (1 + 1 + …,
100 000 terms) and "@DEEP_LIST@" (a list nested 190 deep).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ATTACKS_DIR = Path(__file__).with_name("attacks")
CORRECT_NOTEBOOK = ROOT / "assignments" / "examples" / "mnist_mlp" / "correct" / "mnist_mlp.ipynb"
NOTEBOOK_NAME = "mnist_mlp.ipynb"
#: The exercises whose functions the MNIST check trains with: an attack on one of them may also
#: cost the MNIST check's points.
TRAINED_WITH = ("init_params", "forward", "backprop", "update")
VICTIM = "victim"
SETTINGS = ("EXERCISE", "PASSES", "SAYS")
CELL_SEPARATOR = re.compile(r"^# %%$", re.MULTILINE)
GENERATED = {"@DEEP_PARENS@": "(" * 5000 + "1" + ")" * 5000,
             "@LONG_SUM@": " + ".join(["1"] * 100_000),
             "@DEEP_LIST@": "[" * 190 + "]" * 190}


@dataclass(frozen=True)
class Attack:
    name: str
    exercise: str | None
    passes: tuple[str, ...]
    says: str | None
    summary: str
    cells: tuple[str, ...]     # the first replaces EXERCISE's cell (or is added); the rest follow

    def may_lose(self) -> set[str]:
        """The exercises in which this submission may lose points."""
        if self.exercise is None:
            return set()
        return {self.exercise} | ({"mnist_accuracy"} if self.exercise in TRAINED_WITH else set())


@dataclass(frozen=True)
class Targets:
    """The real paths and values an attack's placeholders stand for."""

    token: str
    home: Path
    tmp: Path
    kit: Path
    out: Path
    victim: Path
    port: int

    def render(self, source: str) -> str:
        values = {"@TOKEN@": self.token, "@HOME@": str(self.home), "@TMP@": str(self.tmp),
                  "@KIT@": str(self.kit), "@OUT@": str(self.out), "@VICTIM@": str(self.victim),
                  "@PORT@": str(self.port), **GENERATED}
        for placeholder, value in values.items():
            source = source.replace(placeholder, value)
        return source


def load_attacks() -> list[Attack]:
    """Every attack in attacks/, sorted by name."""
    return [read_attack(path) for path in sorted(ATTACKS_DIR.glob("*.py"))]


def read_attack(path: Path) -> Attack:
    cells = tuple(cell.strip("\n") + "\n"
                  for cell in CELL_SEPARATOR.split(path.read_text(encoding="utf-8")))
    module = ast.parse(cells[0])
    settings = {target.id: ast.literal_eval(statement.value)
                for statement in module.body if isinstance(statement, ast.Assign)
                for target in statement.targets
                if isinstance(target, ast.Name) and target.id in SETTINGS}
    docstring = ast.get_docstring(module)
    if not docstring or "EXERCISE" not in settings:
        raise ValueError(f"{path.name} needs a docstring and EXERCISE = ...")
    return Attack(name=path.stem, exercise=settings["EXERCISE"],
                  passes=tuple(settings.get("PASSES", ())), says=settings.get("SAYS"),
                  summary=" ".join(docstring.split("\n\n")[0].split()), cells=cells)


def write_submission(folder: Path, cells: tuple[str, ...] | list[str],
                     exercise: str | None) -> Path:
    """folder/mnist_mlp.ipynb: the correct notebook with `exercise`'s cell replaced by the first
    of `cells` (exercise None: added after the setup cell), the others added after it."""
    notebook = json.loads(CORRECT_NOTEBOOK.read_text(encoding="utf-8"))
    if exercise is None:
        at = _setup_cell(notebook) + 1
        added = cells
    else:
        at = notebook["cells"].index(_exercise_cell(notebook, exercise)) + 1
        notebook["cells"][at - 1]["source"] = cells[0]
        added = cells[1:]
    notebook["cells"][at:at] = [{"cell_type": "code", "execution_count": None, "metadata": {},
                                 "outputs": [], "source": source} for source in added]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NOTEBOOK_NAME
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


def write_corpus(attacks: list[Attack], submissions: Path, targets: Targets) -> list[Path]:
    """One submission folder per attack, plus the victim's, under `submissions`."""
    folders = [submissions / VICTIM]
    write_victim(folders[0], targets.token)
    for attack in attacks:
        folder = submissions / attack.name
        write_submission(folder, [targets.render(cell) for cell in attack.cells], attack.exercise)
        folders.append(folder)
    return folders


def victim_secret(token: str) -> str:
    return f"victim-secret-{token}"


def write_victim(folder: Path, token: str) -> Path:
    """An honest, full-marks submission holding a secret other submissions try to steal."""
    cell = f'ANSWER_KEY = "{victim_secret(token)}"  # another student\'s work: never to be shown\n'
    return write_submission(folder, [cell], None)


def _setup_cell(notebook: dict) -> int:
    return next(index for index, cell in enumerate(notebook["cells"])
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup")


def _exercise_cell(notebook: dict, exercise: str) -> dict:
    for cell in notebook["cells"]:
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if nbgrader.get("solution") and nbgrader.get("grade_id") == exercise:
            return cell
    raise ValueError(f"the correct notebook has no solution cell {exercise!r}")
