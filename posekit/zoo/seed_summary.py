"""Learning figures over seeds: each row's mean, min and max, and each method's gain over a
baseline judged against the spread (the larger of the two rows' max - min), as the project's
learning claims are reported (a gain counts when it is larger than the seeds' spread)."""
from __future__ import annotations

import numpy as np

__all__ = ["summarise_seeds"]


def summarise_seeds(runs: list[dict], field: str, methods: tuple, base: str, keys: tuple) -> dict:
    """``{method: {key: {mean, min, max}, "seeds": [...], "gain_<key>", "spread_<key>",
    "beats_base_<key>"}}`` over the ``runs`` whose ``field`` is each of ``methods``; the gains
    are of every method but ``base`` over ``base``."""
    out: dict = {}
    for method in methods:
        rows = [r for r in runs if r[field] == method]
        if rows:
            out[method] = {k: {"mean": round(float(np.mean([r[k] for r in rows])), 4),
                               "min": round(float(np.min([r[k] for r in rows])), 4),
                               "max": round(float(np.max([r[k] for r in rows])), 4)} for k in keys}
            out[method]["seeds"] = [r["seed"] for r in rows]
    if base not in out:
        return out
    for method in out:
        if method == base:
            continue
        for k in keys:
            b, m = out[base][k], out[method][k]
            spread = max(b["max"] - b["min"], m["max"] - m["min"])
            out[method][f"gain_{k}"] = round(m["mean"] - b["mean"], 4)
            out[method][f"spread_{k}"] = round(spread, 4)
            out[method][f"beats_base_{k}"] = bool(m["mean"] - b["mean"] > spread)
    return out
