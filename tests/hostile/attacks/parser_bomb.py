"""Extra cells built to exhaust the parser and the compiler: 5000 nested parentheses, a sum of
100 000 terms (an expression tree 100 000 deep) and a list nested 190 deep.

Parsing is the trusted side's work, so each such cell must cost only itself: every exercise
keeps its points.
"""
EXERCISE = None
SAYS = "too many nested parentheses"

# %%
DEEP = @DEEP_PARENS@

# %%
TERMS = @LONG_SUM@

# %%
NESTED = @DEEP_LIST@
