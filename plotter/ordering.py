"""Stroke order that cuts pen-up travel: none, vpype's linesort, and ours (greedy + 2-opt/or-opt).

Lines are vpype-style complex arrays (x + iy). Travel is counted from the home point to the
first line, between lines, and back home, because that is what the carriage really moves.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import vpype as vp
from scipy.spatial import cKDTree

__all__ = [
    "merge_lines",
    "order_none",
    "order_ours",
    "order_vpype",
    "pen_up_length",
    "vpype_merge_lines",
]

# Gains smaller than this (mm) are rounding noise, not improvements.
_EPS = 1e-9


def pen_up_length(lines: Sequence[np.ndarray], home: complex = 0j) -> float:
    """Pen-up travel in the lines' unit: home -> first line -> ... -> last line -> home."""
    if not lines:
        return 0.0
    starts = np.array([line[0] for line in lines])
    ends = np.array([line[-1] for line in lines])
    hops = np.abs(starts[1:] - ends[:-1]).sum()
    return float(hops + abs(starts[0] - home) + abs(ends[-1] - home))


def merge_lines(lines: Sequence[np.ndarray], tolerance: float) -> list[np.ndarray]:
    """Join lines whose ends lie within `tolerance` of each other, closest ends first.

    Like vpype's linemerge (lines may be reversed to join), but all ends are matched in
    one k-d tree query instead of one query per line.
    """
    n = len(lines)
    if n < 2 or tolerance <= 0:
        return list(lines)
    ends = np.array([[line[0], line[-1]] for line in lines]).ravel()  # end k: line k // 2
    points = np.column_stack([ends.real, ends.imag])
    pairs = cKDTree(points).query_pairs(tolerance, output_type="ndarray")
    if not len(pairs):
        return list(lines)
    gaps = np.hypot(*(points[pairs[:, 0]] - points[pairs[:, 1]]).T)
    link = np.full(2 * n, -1)
    root = list(range(n))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for a, b in pairs[np.argsort(gaps, kind="stable")]:
        if link[a] >= 0 or link[b] >= 0:
            continue
        ra, rb = find(a // 2), find(b // 2)
        if ra == rb:  # joining would close a ring (or a line onto itself)
            continue
        root[ra] = rb
        link[a], link[b] = b, a
    merged = []
    seen = np.zeros(n, dtype=bool)
    for first in range(n):
        if seen[first] or (link[2 * first] >= 0 and link[2 * first + 1] >= 0):
            continue
        line, entry = first, 0 if link[2 * first] < 0 else 1
        parts: list[np.ndarray] = []
        while True:
            seen[line] = True
            part = lines[line] if entry == 0 else lines[line][::-1]
            if parts and abs(parts[-1][-1] - part[0]) == 0:
                part = part[1:]
            parts.append(part)
            after = link[2 * line + 1 - entry]
            if after < 0:
                break
            line, entry = int(after) // 2, int(after) % 2
        merged.append(np.concatenate(parts))
    return merged


def vpype_merge_lines(lines: Sequence[np.ndarray], tolerance: float) -> list[np.ndarray]:
    """vpype's own linemerge (one spatial query per line), for comparison."""
    collection = vp.LineCollection(list(lines))
    collection.merge(tolerance=tolerance, flip=True)
    return list(collection)


def order_none(lines: Sequence[np.ndarray], home: complex = 0j) -> list[np.ndarray]:
    """The lines as drawn."""
    return list(lines)


def order_vpype(
    lines: Sequence[np.ndarray], home: complex = 0j, two_opt: bool = False
) -> list[np.ndarray]:
    """vpype's `linesort` (greedy nearest neighbour from the first line, optional 2-opt)."""
    import vpype_cli

    if len(lines) < 2:
        return list(lines)
    document = vp.Document()
    document.add(vp.LineCollection(list(lines)), 1)
    command = "linesort --two-opt" if two_opt else "linesort"
    return list(vpype_cli.execute(command, document).layers[1])


def order_ours(
    lines: Sequence[np.ndarray], home: complex = 0j, time_budget_s: float = 0.3
) -> list[np.ndarray]:
    """Greedy nearest neighbour from home (lines may be reversed), then 2-opt and or-opt."""
    if not lines:
        return []
    starts = np.array([line[0] for line in lines])
    ends = np.array([line[-1] for line in lines])
    perm, flipped = _greedy(starts, ends, home)
    deadline = time.perf_counter() + time_budget_s
    perm, flipped = _local_search(starts, ends, perm, flipped, home, deadline)
    return [lines[k][::-1] if f else lines[k] for k, f in zip(perm, flipped, strict=True)]


def _greedy(starts: np.ndarray, ends: np.ndarray, home: complex) -> tuple[np.ndarray, np.ndarray]:
    n = len(starts)
    left = np.ones(n, dtype=bool)
    perm = np.empty(n, dtype=np.int64)
    flipped = np.empty(n, dtype=bool)
    here = home
    for k in range(n):
        to_start = np.where(left, np.abs(starts - here), np.inf)
        to_end = np.where(left, np.abs(ends - here), np.inf)
        a, b = int(np.argmin(to_start)), int(np.argmin(to_end))
        if to_end[b] < to_start[a]:
            perm[k], flipped[k], here = b, True, starts[b]
        else:
            perm[k], flipped[k], here = a, False, ends[a]
        left[perm[k]] = False
    return perm, flipped


def _local_search(
    starts: np.ndarray,
    ends: np.ndarray,
    perm: np.ndarray,
    flipped: np.ndarray,
    home: complex,
    deadline: float,
) -> tuple[np.ndarray, np.ndarray]:
    perm, flipped = perm.copy(), flipped.copy()
    while time.perf_counter() < deadline:
        b = np.where(flipped, ends[perm], starts[perm])
        e = np.where(flipped, starts[perm], ends[perm])
        if _two_opt_round(b, e, perm, flipped, home):
            continue
        b = np.where(flipped, ends[perm], starts[perm])
        e = np.where(flipped, starts[perm], ends[perm])
        moved = _or_opt_move(b, e, perm, flipped, home)
        if moved is None:
            break
        perm, flipped = moved
    return perm, flipped


def _two_opt_round(
    b: np.ndarray, e: np.ndarray, perm: np.ndarray, flipped: np.ndarray, home: complex
) -> bool:
    """Reverse the segments [i..j] that shorten travel; disjoint ones in one round (in place)."""
    n = len(b)
    before = np.concatenate(([home], e[:-1]))  # where the carriage comes from into position i
    after = np.concatenate((b[1:], [home]))  # where it goes after position j
    gain = (
        np.abs(before[:, None] - e[None, :])
        + np.abs(b[:, None] - after[None, :])
        - np.abs(before - b)[:, None]
        - np.abs(e - after)[None, :]
    )
    gain[np.tril_indices(n, -1)] = np.inf
    best_j = np.argmin(gain, axis=1)
    best = gain[np.arange(n), best_j]
    candidates = np.flatnonzero(best < -_EPS)
    if not len(candidates):
        return False
    taken = np.zeros(n + 2, dtype=bool)  # positions shifted by one: a move needs i-1..j+1
    for i in candidates[np.argsort(best[candidates])]:
        j = int(best_j[i])
        if taken[i : j + 3].any():
            continue
        taken[i : j + 3] = True
        perm[i : j + 1] = perm[i : j + 1][::-1]
        flipped[i : j + 1] = ~flipped[i : j + 1][::-1]
    return True


def _or_opt_move(
    b: np.ndarray, e: np.ndarray, perm: np.ndarray, flipped: np.ndarray, home: complex
) -> tuple[np.ndarray, np.ndarray] | None:
    """Move the one line (maybe reversed) whose relocation shortens travel the most."""
    n = len(b)
    if n < 3:
        return None
    before = np.concatenate(([home], e[:-1]))
    after = np.concatenate((b[1:], [home]))
    removal = np.abs(before - after) - np.abs(before - b) - np.abs(e - after)
    # Gap q lies between position q-1 and q (q = 0..n), with home at both ends.
    gap_from = np.concatenate(([home], e))
    gap_to = np.concatenate((b, [home]))
    forward = np.abs(gap_from[None, :] - b[:, None]) + np.abs(e[:, None] - gap_to[None, :])
    backward = np.abs(gap_from[None, :] - e[:, None]) + np.abs(b[:, None] - gap_to[None, :])
    insertion = np.minimum(forward, backward) - np.abs(gap_from - gap_to)[None, :]
    gain = removal[:, None] + insertion
    rows = np.arange(n)
    gain[rows, rows] = np.inf  # the gaps on either side of k: no move at all
    gain[rows, rows + 1] = np.inf
    k, q = np.unravel_index(int(np.argmin(gain)), gain.shape)
    if not gain[k, q] < -_EPS:
        return None
    reverse = backward[k, q] < forward[k, q]
    item, item_flip = perm[k], bool(flipped[k]) ^ bool(reverse)
    keep = np.ones(n, dtype=bool)
    keep[k] = False
    target = q if q < k else q - 1
    new_perm = np.insert(perm[keep], target, item)
    new_flipped = np.insert(flipped[keep], target, item_flip)
    return new_perm, new_flipped
