"""Running `grade` as an instructor would, and looking at the machine afterwards.

`run_grade` starts the real command in a subprocess with its own TMPDIR and a marker in its
environment; `lingering_processes` finds any process that still carries the marker, the run's
folder or the attack token once it has exited; `Listener` is a TCP and UDP port on the loopback
interface that records whatever reaches it; `files_named` finds files whose name holds a token.
"""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Lines shorter than this (stripped) are too common to count as leaked hidden source.
SOURCE_LINE_CHARS = 30


@dataclass(frozen=True)
class GradeRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run_grade(paths: list[Path], out: Path, *, jobs: int, workdir: Path, mode: str | None = None,
              marker: str = "", timeout: float = 900, python: str = sys.executable,
              user: str | None = None, home: Path | None = None,
              mnist: Path | None = None) -> GradeRun:
    """`python -m grader PATH... --out OUT --jobs N`, run from `workdir` with TMPDIR=workdir/tmp.

    mode: NNKIT_SANDBOX (None: the default, "auto"); marker: put in the command's environment,
    so that every process it starts (and every one that outlives it) can be found; python: the
    interpreter whose kit grades; user: the account that runs it (home: its HOME); mnist: the
    MNIST_DIR to grade with (default: the test run's own).
    """
    tmp = workdir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items()
           if key not in ("NNKIT_SANDBOX", "VIRTUAL_ENV", "PYTHONPATH")}
    env.update(TMPDIR=str(tmp), NNKIT_TEST_MARKER=marker)
    if home:
        env["HOME"] = str(home)
    if mnist:
        env["MNIST_DIR"] = str(mnist)
    if mode:
        env["NNKIT_SANDBOX"] = mode
    started = time.monotonic()
    run = subprocess.run([python, "-m", "grader", *map(str, paths), "--out", str(out),
                          "--jobs", str(jobs)], cwd=workdir, env=env, capture_output=True,
                         text=True, timeout=timeout, user=user, group=user and user,
                         extra_groups=[] if user else None)
    return GradeRun(run.returncode, run.stdout, run.stderr, time.monotonic() - started)


def lingering_processes(needles: list[str], wait: float = 5.0) -> list[str]:
    """Processes (other than this one) whose command line or environment holds one of
    `needles`, once up to `wait` seconds have let the dying finish: "pid: command line". They
    are killed, by pid, so that a failed containment does not outlive the test either."""
    deadline = time.monotonic() + wait
    while True:
        found = _processes_holding(needles)
        if not found or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for entry in found:
        try:
            os.kill(int(entry.split(":", 1)[0]), signal.SIGKILL)
        except OSError:
            pass
    return found


def _processes_holding(needles: list[str]) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue   # a zombie is dead, only not yet reaped by its parent
            text = ((entry / "cmdline").read_bytes() + b"\0" + (entry / "environ").read_bytes())
        except (OSError, IndexError):
            continue
        if any(needle.encode() in text for needle in needles if needle):
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            found.append(f"{entry.name}: {command.decode(errors='replace')[:200]}")
    return found


def files_named(token: str, folders: list[Path], recursive: list[Path]) -> list[Path]:
    """Files whose name holds `token`: directly in `folders`, anywhere below `recursive`.
    (Only an attack names files after the run's token: a caller may delete them.)"""
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [path for path in folder.iterdir() if token in path.name]
    for folder in recursive:
        for parent, subfolders, names in os.walk(folder):
            found += [Path(parent, name) for name in names + subfolders if token in name]
    return sorted(set(found))


def hidden_source_lines(exclude: str = "") -> set[str]:
    """The lines of the hidden suites and of the reference solution a report must never show
    (those of SOURCE_LINE_CHARS characters or more, stripped), minus any that occur in
    `exclude` (the students' own text) and those that are only a string: the messages the
    suites write for students, which reports show on purpose."""
    lines = set()
    for path in [*(ROOT / "grader" / "checks" / "suites").glob("*.py"), *(ROOT / "reference").glob("*.py"),
                 ROOT / "grader" / "checks" / "rubric.toml"]:
        lines |= {line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                  if len(line.strip()) >= SOURCE_LINE_CHARS}
    return {line for line in lines if line not in exclude and not _only_a_string(line)}


def _only_a_string(line: str) -> bool:
    try:
        return isinstance(ast.literal_eval(line.rstrip(",")), str)
    except (ValueError, SyntaxError):
        return False


def every_file_below(folder: Path) -> dict[Path, str]:
    """path → text of every file below `folder` (undecodable bytes replaced)."""
    return {path: path.read_bytes().decode("utf-8", errors="replace")
            for path in sorted(folder.rglob("*")) if path.is_file()}


class Listener:
    """A TCP and a UDP socket on 127.0.0.1 (and TCP on ::1 when it can) at one port; whatever
    connects or arrives is recorded in `.heard`."""

    def __init__(self):
        self.heard: list[str] = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.sockets = [self.tcp, self.udp]
        try:
            self.sockets.append(socket.create_server(("::1", self.port),
                                                     family=socket.AF_INET6))
        except OSError:
            pass   # no IPv6 loopback here: the attack's IPv6 attempt cannot reach anything
        for sock in self.sockets:
            sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            for sock in self.sockets:
                try:
                    if sock.type == socket.SOCK_DGRAM:
                        self.heard.append(f"udp: {sock.recv(1000)!r}")
                    else:
                        connection, address = sock.accept()
                        self.heard.append(f"tcp connection from {address}")
                        with connection:
                            connection.settimeout(1)
                            self.heard.append(f"tcp data: {connection.recv(1000)!r}")
                except (TimeoutError, OSError):
                    continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()
