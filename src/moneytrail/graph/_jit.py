"""The decorator of the small kernels that the sweeps call in their inner loops,
and numba's start without SciPy.

A compiled function that takes arrays increments and decrements their
reference counts (atomic operations in numba's runtime, NRT) around what it
does with them; called once per search step, that cost a quarter of the
simple-cycle search. These kernels allocate nothing and keep no array, so
they are compiled without the runtime: no reference counting at all. They
must never create or return an array (numba refuses to compile one that does).

Start-up: the first call of any kernel sets numba's CPU target up, and one of
its modules (numba.np.arraymath) imports scipy.linalg at import only to learn
whether np.dot-like inner products may call BLAS; that import was 0.2 s of
the 2 s `graph features` command on 256 k transactions. No kernel here uses
BLAS, so that module is imported once, first, with SciPy's BLAS module hidden:
numba then uses its own loop for those products (the same results), and SciPy
imports normally afterwards for whoever needs it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "_nrt": False}


def leaf(fn: F) -> F:
    """njit without the runtime: for kernels that only read and write arrays given to them."""
    return cast(F, njit(**_OPTIONS)(fn))


def _arraymath_without_scipy() -> None:
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return  # set up already, or SciPy's linalg is loaded anyway: nothing to save
    # hide the outermost package not yet loaded: importing scipy.linalg.cython_blas
    # would load scipy and scipy.linalg before failing on the module itself
    hidden = "scipy.linalg" if "scipy" in sys.modules else "scipy"
    sys.modules[hidden] = None  # type: ignore[assignment]  # its import fails: no BLAS
    try:
        importlib.import_module("numba.np.arraymath")
    finally:
        del sys.modules[hidden]


_arraymath_without_scipy()
