"""Temporal smoothing of keypoint tracks, and a jitter measure.

Per-frame estimates jitter (USERS.md #3). Two filters, each per keypoint of each track:

* One-Euro (Casiez, Roussel & Vogel, "1 Euro Filter: A Simple Speed-based Low-pass
  Filter for Noisy Input in Interactive Systems", CHI 2012): a low-pass filter whose
  cut-off rises with speed, so slow motion is steadied and fast motion keeps up.
  Causal, for streams.
* Savitzky-Golay (Savitzky & Golay, Analytical Chemistry 1964): a least-squares
  polynomial over a sliding window. Offline it is centred (SciPy's ``savgol_filter``);
  causal, each frame takes the fit of the window that ends on it.

Jitter is the mean magnitude of the keypoints' frame-to-frame acceleration,
``|x[t+1] - 2 x[t] + x[t-1]|``, in pixels per frame squared.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["OneEuroFilter", "one_euro", "savgol", "savgol_causal", "jitter"]


@dataclass
class OneEuroFilter:
    """Streaming One-Euro filter over arrays of any shape (e.g. (K, 2) keypoints).

    ``min_cutoff`` (Hz) sets smoothing at rest, ``beta`` how fast the cut-off grows
    with speed, ``d_cutoff`` (Hz) smooths the speed estimate; ``fps`` is the frame rate.
    """

    fps: float = 30.0
    min_cutoff: float = 1.0
    beta: float = 0.05
    d_cutoff: float = 1.0

    def __post_init__(self) -> None:
        self._x = self._dx = None

    @staticmethod
    def _alpha(cutoff, dt: float):
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def reset(self) -> None:
        self._x = self._dx = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64)
        if self._x is None:
            self._x, self._dx = x.copy(), np.zeros_like(x)
            return x.copy()
        dt = 1.0 / self.fps
        dx = (x - self._x) / dt
        a_d = self._alpha(self.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        a = self._alpha(cutoff, dt)
        self._x = a * x + (1 - a) * self._x
        return self._x.copy()


def one_euro(track: np.ndarray, fps: float = 30.0, min_cutoff: float = 1.0, beta: float = 0.05,
             d_cutoff: float = 1.0) -> np.ndarray:
    """One-Euro over a whole track ``(T, ...)`` (causal: frame t sees frames <= t)."""
    f = OneEuroFilter(fps, min_cutoff, beta, d_cutoff)
    return np.stack([f(x) for x in np.asarray(track, np.float64)]) if len(track) else np.asarray(track)


def _window(n: int, window: int, polyorder: int) -> int:
    w = min(window, n if n % 2 else n - 1)
    return w if w > polyorder else 0


def savgol(track: np.ndarray, window: int = 9, polyorder: int = 2) -> np.ndarray:
    """Centred (offline) Savitzky-Golay along time of a track ``(T, ...)``."""
    from scipy.signal import savgol_filter

    track = np.asarray(track, np.float64)
    w = _window(len(track), window, polyorder)
    if w == 0:
        return track.copy()
    return savgol_filter(track, w, polyorder, axis=0, mode="interp")


def savgol_causal(track: np.ndarray, window: int = 9, polyorder: int = 2) -> np.ndarray:
    """Causal Savitzky-Golay: frame t is the window fit ending at t evaluated at t.
    The first frames, with fewer than ``window`` behind them, use the frames there are."""
    from scipy.signal import savgol_coeffs

    track = np.asarray(track, np.float64)
    out = track.copy()
    for t in range(len(track)):
        n = min(window, t + 1)
        if n <= polyorder:
            continue
        c = savgol_coeffs(n, polyorder, pos=n - 1, use="dot")
        out[t] = np.tensordot(c, track[t + 1 - n:t + 1], axes=(0, 0))
    return out


def jitter(track: np.ndarray, valid: np.ndarray | None = None) -> float:
    """Mean |second difference| over a track ``(T, K, 2)``; ``valid`` (T, K) masks keypoints."""
    track = np.asarray(track, np.float64)
    if len(track) < 3:
        return float("nan")
    acc = np.linalg.norm(track[2:] - 2 * track[1:-1] + track[:-2], axis=-1)
    if valid is not None:
        v = np.asarray(valid, bool)
        ok = v[2:] & v[1:-1] & v[:-2]
        return float(acc[ok].mean()) if ok.any() else float("nan")
    return float(acc.mean())
