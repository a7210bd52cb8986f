"""Writes files outside its scratch folder: the home folder, /tmp, the grader's TMPDIR, the kit,
the hidden suites' folder, the reports' folder, another student's folder, /var/tmp, /dev/shm and
the parent of its working directory.

Only the scratch folder (and a private /tmp and /dev/shm that vanish with the worker) is
writable: none of these files appears on the grading machine.
"""
import os

EXERCISE = "relu"
SAYS = "PermissionError: wrote"
TOKEN = "@TOKEN@"
PLACES = ["@HOME@", "/tmp", "@TMP@", "@KIT@", "@KIT@/grader/checks/suites", "@OUT@", "@OUT@/victim",
          "@VICTIM@", "/var/tmp", "/dev/shm", ".."]


def relu(Z):
    written = []
    for place in PLACES:
        path = os.path.join(place, f"{TOKEN}-write_outside")
        try:
            with open(path, "w") as file:
                file.write("written by a submission")
            written.append(path)
        except OSError:
            pass
    raise PermissionError(f"wrote {written}; only the private /tmp and /dev/shm should be there")
