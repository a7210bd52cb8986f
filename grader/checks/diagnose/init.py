"""init_params: the mistakes recognisable from the weights it draws.

W: one weight matrix, W1 (n_input, n_hidden) or W2 (n_hidden, n_output) with samples as rows,
transposed with samples as columns; fan_in is the number of inputs of its layer.
"""

from __future__ import annotations

import math

import numpy as np

from grader.checks.diagnose.catalogue import Hint

HE_FIX = ("Multiply standard-normal draws by np.sqrt(2 / fan_in), fan_in being the layer's number "
          "of inputs (n_input for W1, n_hidden for W2): rng.standard_normal(shape) * "
          "np.sqrt(2 / fan_in).")


def init_all_zeros(W, name: str) -> Hint | None:
    """All weights are 0: every hidden unit computes the same thing and gets the same gradient."""
    if np.all(np.asarray(W) == 0):
        return Hint(f"{name} is all zeros. Then every hidden unit computes the same value and "
                    "receives the same gradient, so they never become different (and with ReLU, "
                    "nothing learns). Draw the weights at random: rng.standard_normal(shape) * "
                    "np.sqrt(2 / fan_in).", "init_params.all_zeros")
    return None


def looks_uniform(W) -> bool:
    """The values fill an interval evenly: its width is √12 standard deviations (a normal's
    sample spreads over about twice that)."""
    W = np.asarray(W, dtype=np.float64)
    std = float(W.std())
    return W.size >= 100 and std > 0 and abs((W.max() - W.min()) / (std * math.sqrt(12)) - 1) < 0.05


def init_not_he_scaled(W, fan_in: int, name: str, fan_out: int | None = None) -> Hint | None:
    """The weights' spread (or centre) is not He's: mean 0, std sqrt(2 / fan_in)."""
    W = np.asarray(W, dtype=np.float64)
    std, mean, target = float(W.std()), float(W.mean()), math.sqrt(2.0 / fan_in)
    centred = abs(mean) <= 0.2 * target
    if 0.8 <= std / target <= 1.25 and centred:
        return None
    said = f"{name} has mean {mean:.3g} and standard deviation {std:.3g}"
    wanted = f"He initialisation gives mean 0 and std sqrt(2 / {fan_in}) = {target:.3g}"
    if looks_uniform(W) and not centred:
        return Hint(f"{said}: uniform draws on [{W.min():.2g}, {W.max():.2g}), all positive "
                    f"(np.random.rand draws from [0, 1)). {wanted}: the weights must be centred "
                    f"on 0 and scaled to their layer. {HE_FIX}", "init_params.uniform_not_centred")
    if looks_uniform(W):
        like = " (np.random.rand(...) − 0.5)" if math.isclose(W.max(), 0.5, rel_tol=0.05) else ""
        return Hint(f"{said}: uniform draws on ±{W.max():.2g}{like}, whose spread does not depend "
                    f"on the layer. {wanted}. {HE_FIX} (Uniform draws work too when their bound "
                    "is sqrt(6 / fan_in).)", "init_params.uniform_unscaled")
    scale = known_scale(std, fan_in, fan_out)
    causes = {
        "xavier": ("That is Xavier/Glorot's sqrt(1 / fan_in); ReLU layers need the 2.",
                   "init_params.xavier_scale"),
        "glorot": (f"Yours is Glorot's scale, from fan_in + fan_out = {fan_in + (fan_out or 0)}; a "
                   "ReLU layer needs He's, from fan_in alone.", "init_params.glorot_scale"),
        "fan_out": (f"Yours is sqrt(2 / {fan_out}): you scale by the layer's number of outputs; "
                    "fan_in is its number of inputs.", "init_params.scaled_by_fan_out"),
        "unit": (f"Yours are standard-normal draws without any scaling, so the first layer's "
                 f"scores are about {math.sqrt(fan_in):.0f} times too large.",
                 "init_params.unscaled_normal"),
        "fixed": (f"A fixed factor such as {10 ** round(math.log10(std or 1)):g} ignores the "
                  "layer's size: too small, the signal fades through the layers and training "
                  "starts slowly.", "init_params.fixed_small_scale"),
    }
    cause, diagnosis = causes.get(scale, ("", "init_params.scale_off"))
    return Hint(f"{said}. {wanted}. {cause + ' ' if cause else ''}{HE_FIX}", diagnosis)


def known_scale(std: float, fan_in: int, fan_out: int | None) -> str | None:
    """Which usual wrong scale a standard deviation is, the nearest within 10 %: Xavier's
    sqrt(1 / fan_in), Glorot's sqrt(1 or 2 / (fan_in + fan_out)), He's from fan_out, 1 (no
    scale), or a round number (0.01). Xavier wins a tie with Glorot: with a small fan_out the
    two coincide, and both are fixed the same way."""
    candidates = [("xavier", math.sqrt(1 / fan_in)), ("unit", 1.0)]
    if fan_out:
        candidates += [("glorot", math.sqrt(1 / (fan_in + fan_out))),
                       ("glorot", math.sqrt(2 / (fan_in + fan_out)))]
        if fan_out != fan_in:
            candidates.append(("fan_out", math.sqrt(2 / fan_out)))
    if std > 0:
        candidates.append(("fixed", 10.0 ** round(math.log10(std))))
    distances = [(abs(math.log(std / value)), name) for name, value in candidates
                 if std > 0 and math.isclose(std, value, rel_tol=0.1)]
    return min(distances, key=lambda pair: (round(pair[0], 2), pair[1] != "xavier"))[1] \
        if distances else None


def init_not_seeded(same_seed_differs: bool, other_seed_same: bool) -> Hint | None:
    """Calls with the same seed differ, or calls with different seeds agree."""
    if same_seed_differs:
        return Hint("Two calls with the same seed returned different weights: the seed is not "
                    "used. Create a generator from it, rng = np.random.default_rng(seed), and draw "
                    "every weight from rng (or call np.random.seed(seed) first).",
                    "init_params.not_seeded")
    if other_seed_same:
        return Hint("Different seeds returned the same weights: init_params does not use its "
                    "`seed` argument (it draws from np.random without seeding it from `seed`, or "
                    "from a fixed seed). Build the generator from the argument, rng = "
                    "np.random.default_rng(seed), and draw every weight from rng.",
                    "init_params.seed_ignored")
    return None


def init_ignores_sizes(got, name: str, asked: tuple, default_shape: tuple) -> Hint | None:
    """The shape returned for other sizes is the one of the notebook's own network: hard-coded."""
    shape = np.shape(got)
    if tuple(shape) == tuple(default_shape) != tuple(asked):
        return Hint(f"{name} has shape {tuple(shape)}, the shape of the notebook's own network, "
                    "although other sizes were asked for: the sizes are hard-coded. Build every "
                    "array from the arguments n_input, n_hidden and n_output, so init_params works "
                    "for any network.", "init_params.ignores_sizes")
    return None


def init_other_notation(got, name: str, expected_shape: tuple, notation_name: str) -> Hint | None:
    """The shape is the other notation's (reversed)."""
    shape = tuple(np.shape(got))
    if len(shape) == 2 and shape != tuple(expected_shape) and shape[::-1] == tuple(expected_shape):
        other = "columns" if notation_name == "rows" else "rows"
        return Hint(f"{name} has shape {shape}, its shape with samples as {other}; this notebook "
                    f"puts samples as {notation_name}, where {name} is {tuple(expected_shape)}.",
                    "other_notation_shape")
    return None
