"""`nnkit`: one command whose subcommands follow the instructor's week, each with a manual."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from grader import nnkit


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.nnkit", *args], capture_output=True,
                          text=True, timeout=120)


def test_the_manual_lists_the_week_in_order_with_examples_and_exit_statuses():
    shown = run("--help")
    assert shown.returncode == 0
    text = shown.stdout
    positions = [text.index(f"  {name} ") for name in nnkit.SUBCOMMANDS]
    assert positions == sorted(positions)
    assert "examples:" in text and "exit status:" in text
    assert run().stdout == text                        # no subcommand: the manual


@pytest.mark.parametrize("name", list(nnkit.SUBCOMMANDS))
def test_each_subcommand_has_a_manual_with_an_example_and_its_exit_statuses(name):
    shown = run(name, "--help")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert text.startswith("usage: ")
    assert "example" in text and "exit status" in text, name


def test_an_unknown_subcommand_is_a_usage_error_in_one_line():
    shown = run("grdae")
    assert shown.returncode == 2
    assert shown.stderr.count("\n") == 1 and "release, selftest" in shown.stderr


def test_grade_is_nnkit_grade(tmp_path):
    assert nnkit.SUBCOMMANDS["grade"].module == "grader.cli"
    shown = run("grade", str(tmp_path / "nowhere"))
    assert shown.returncode == 2 and "nowhere" in shown.stderr


@pytest.mark.parametrize("name, package", [("release", "nbgrader"), ("reference", "matplotlib")])
def test_an_authoring_subcommand_without_the_author_extra_says_what_to_install(
        name, package, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda module, *args: None if module == package else real(module, *args))
    assert nnkit.main([name]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "pip install 'nnkit-autograder[author]'" in error and package in error
