"""Small array shapes shared by the rig, the accident overlays, the physics and the sensors."""

from __future__ import annotations

import math

import numpy as np


def ramp(a: float, b: float, k: np.ndarray, over: float) -> np.ndarray:
    """Linear ramp from a to b over ``over`` s, evaluated at k s (b from then on)."""
    if over <= 0 or a == b:
        return np.full(k.shape, b, dtype=np.float64)
    return a + (b - a) * np.clip(k / over, 0.0, 1.0)


def move_profile(k: np.ndarray, dur: int, *, decel: bool = True) -> np.ndarray:
    """Share of a move done after k seconds of dur: trapezoidal speed, 0 -> 1."""
    total = float(dur)
    ta = min(10.0, total / 3.0)
    if not decel:
        v = 1.0 / (total - ta / 2.0)
        return np.where(k < ta, 0.5 * v * k * k / ta, v * (k - ta / 2.0))
    v = 1.0 / (total - ta)
    return np.where(
        k < ta,
        0.5 * v * k * k / ta,
        np.where(k <= total - ta, v * (k - ta / 2.0), 1.0 - 0.5 * v * (total - k) ** 2 / ta),
    )


def span(n: int, a: float, b: float) -> tuple[slice, np.ndarray]:
    """Indices [a, b) clipped to the frame, and the position 0..1 of each inside [a, b)."""
    ia, ib = math.floor(a), math.floor(b)
    lo, hi = max(ia, 0), min(ib, n)
    if hi <= lo:
        return slice(0, 0), np.zeros(0)
    x = (np.arange(lo, hi, dtype=np.float64) - a) / max(b - a, 1.0)
    return slice(lo, hi), x


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def bump(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Gaussian bump of height 1 at ``centre``."""
    return np.exp(-0.5 * ((x - centre) / width) ** 2)


def lag_kernel(delay: float, tau: float) -> np.ndarray:
    """Transport delay followed by a first-order lag, as a convolution kernel."""
    d = round(delay)
    k = np.arange(int(5 * tau) + 1, dtype=np.float64)
    w = np.exp(-k / tau)
    w /= w.sum()
    return np.concatenate([np.zeros(d), w])


def lag(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``x`` through ``kernel``, starting from rest at its first value."""
    padded = np.concatenate([np.full(kernel.size, x[0]), x])
    return np.convolve(padded, kernel)[kernel.size : kernel.size + x.size]


def lp_noise(rng: np.random.Generator, n: int, tau: float) -> np.ndarray:
    """Unit-variance low-pass (exponentially smoothed) Gaussian noise."""
    k = np.exp(-np.arange(int(4 * tau) + 1) / tau)
    k /= np.sqrt((k * k).sum())
    return np.convolve(rng.standard_normal(n + k.size), k, mode="valid")[:n]


def walk(rng: np.random.Generator, n: int, knot_s: int, sd: float) -> np.ndarray:
    """Slow random walk (sd per knot), linearly interpolated between knots."""
    knots = max(n // knot_s + 2, 2)
    steps = np.cumsum(rng.normal(0.0, sd, knots))
    steps -= steps[0]
    return np.interp(np.arange(n) / knot_s, np.arange(knots), steps)
