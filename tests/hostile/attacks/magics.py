"""Shell escapes and magics, at the top level and inside functions: !touch, %system,
get_ipython().system, %%bash, %%writefile, and a default argument that runs them while loading.

The extract step turns them into no-ops before anything runs (and the worker has no shell to
start anyway): no file appears, and every exercise keeps its points.
"""
import os

EXERCISE = None

# %%
!touch @HOME@/@TOKEN@-shell-escape
%system touch @HOME@/@TOKEN@-system-magic
get_ipython().system("touch @HOME@/@TOKEN@-get-ipython")

# %%
%%bash
touch @HOME@/@TOKEN@-bash-cell

# %%
%%writefile @HOME@/@TOKEN@-writefile.py
print("written by a cell magic")

# %%
def shell_inside():
    !touch @HOME@/@TOKEN@-shell-in-function
    listing = !ls /
    %system touch @HOME@/@TOKEN@-system-in-function
    return listing


def loaded_with(listing=shell_inside()):
    return listing
