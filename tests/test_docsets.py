"""Every operation of search.docsets equals Python's set algebra, on generated sets:
empty, tiny, dense, sparse, disjoint, nested, of very different sizes."""

from __future__ import annotations

import random

import numpy as np
import pytest

from search import docsets

UNIVERSE = 5_000


def _random_set(rng: random.Random) -> set[int]:
    shape = rng.choice(["empty", "one", "sparse", "dense", "block", "all"])
    if shape == "empty":
        return set()
    if shape == "one":
        return {rng.randrange(UNIVERSE)}
    if shape == "sparse":
        return set(rng.sample(range(UNIVERSE), rng.randint(1, 40)))
    if shape == "dense":
        return {d for d in range(UNIVERSE) if rng.random() < 0.6}
    if shape == "block":
        start = rng.randrange(UNIVERSE)
        return set(range(start, min(UNIVERSE, start + rng.randint(1, 900))))
    return set(range(UNIVERSE))


def _check(ids: docsets.Ids, expected: set[int]) -> None:
    assert ids.dtype == np.int32
    assert ids.tolist() == sorted(expected)  # ascending, no repeats


@pytest.mark.parametrize("seed", range(40))
def test_the_algebra_is_pythons(seed: int) -> None:
    rng = random.Random(seed)
    sets = [_random_set(rng) for _ in range(rng.randint(2, 6))]
    arrays = [docsets.of(s) for s in sets]
    for s, a in zip(sets, arrays, strict=True):
        _check(a, s)
    a, b = arrays[0], arrays[1]
    _check(docsets.intersect(a, b), sets[0] & sets[1])
    _check(docsets.difference(a, b), sets[0] - sets[1])
    assert docsets.overlap(a, b) == len(sets[0] & sets[1])
    everything = set().union(*sets)
    _check(docsets.union(arrays), everything)
    _check(docsets.union(arrays, UNIVERSE), everything)  # by a mask when many
    probe = np.asarray(rng.sample(range(UNIVERSE + 10), 200), dtype=np.int32)
    assert docsets.contains(a, probe).tolist() == [int(p) in sets[0] for p in probe]
    assert np.flatnonzero(docsets.mask(a, UNIVERSE)).tolist() == sorted(sets[0])


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], []), ([3, 1, 3, 2], [1, 2, 3]), ({5, 4}, [4, 5]), (np.array([7, 7]), [7])],
)
def test_a_set_of_any_values(values: object, expected: list[int]) -> None:
    _check(docsets.of(values), set(expected))  # type: ignore[arg-type]


def test_the_empty_set_is_shared_and_cannot_be_changed() -> None:
    with pytest.raises(ValueError):
        docsets.EMPTY[:] = 1
    assert docsets.of([]) is docsets.EMPTY
