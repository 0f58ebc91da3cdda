"""The decorator of the small kernels that the sweeps call in their inner loops.

A compiled function that takes arrays increments and decrements their
reference counts (atomic operations in numba's runtime, NRT) around what it
does with them; called once per search step, that cost a quarter of the
simple-cycle search. These kernels allocate nothing and keep no array, so
they are compiled without the runtime: no reference counting at all. They
must never create or return an array (numba refuses to compile one that does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "_nrt": False}


def leaf(fn: F) -> F:
    """njit without the runtime: for kernels that only read and write arrays given to them."""
    return cast(F, njit(**_OPTIONS)(fn))
