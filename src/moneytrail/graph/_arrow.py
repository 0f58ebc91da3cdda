"""Numbers between Arrow and numpy without pyarrow's pandas shim.

pyarrow's own conversions (`pa.array(ndarray)`, `ChunkedArray.to_numpy()`,
`pa.table` of arrays) first ask whether pandas is installed, which imports
it: 0.37 s of the `graph features` command's start on this machine, for a
stage that never uses pandas. The columns that move between the warehouse
and the kernels are fixed-width numbers and flags, so they move as buffers.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from moneytrail.errors import GraphDataError

S = TypeVar("S", bound=np.generic)


def to_numpy(
    column: pa.Array | pa.ChunkedArray, dtype: type[S], *, nulls: bool = False
) -> npt.NDArray[S]:
    """A null-free column of numbers (of exactly `dtype`) or of booleans as
    numpy; with `nulls`, a column with nulls too, their values unspecified
    (see `valid`)."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if arr.null_count and not nulls:
        raise GraphDataError(f"a {arr.type} column of the graph holds {arr.null_count} nulls")
    n, at = len(arr), arr.offset
    data = arr.buffers()[1]
    if dtype is np.bool_:
        if not pa.types.is_boolean(arr.type):
            raise GraphDataError(f"expected a boolean column, got {arr.type}")
        if n == 0:
            return np.zeros(0, dtype=np.bool_)
        bits = np.frombuffer(data, dtype=np.uint8)
        return np.unpackbits(bits, count=at + n, bitorder="little")[at:].astype(np.bool_)
    want = pa.from_numpy_dtype(dtype)
    if arr.type != want:
        raise GraphDataError(f"expected a {want} column, got {arr.type}")
    if n == 0:
        return np.zeros(0, dtype=dtype)
    size = np.dtype(dtype).itemsize
    return np.frombuffer(data, dtype=dtype, count=n, offset=at * size)


def valid(column: pa.Array) -> npt.NDArray[np.bool_]:
    """Which entries of `column` are not null."""
    bitmap = column.buffers()[0]
    if bitmap is None or column.null_count == 0:
        return np.ones(len(column), dtype=np.bool_)
    bits = np.frombuffer(bitmap, dtype=np.uint8)
    at = column.offset
    return np.unpackbits(bits, count=at + len(column), bitorder="little")[at:].astype(np.bool_)


def from_numpy(
    values: npt.NDArray[np.generic], mask: npt.NDArray[np.bool_] | None = None
) -> pa.Array:
    """An Arrow array of numbers or booleans sharing `values`' memory (booleans
    are packed into bits); `mask` marks the nulls."""
    values = np.ascontiguousarray(values)
    n = len(values)
    if values.dtype == np.bool_:
        flags = values.view(np.bool_)
        kind, data = pa.bool_(), pa.py_buffer(np.packbits(flags, bitorder="little"))
    else:
        kind, data = pa.from_numpy_dtype(values.dtype), pa.py_buffer(values)
    if mask is None or not mask.any():
        return pa.Array.from_buffers(kind, n, [None, data], null_count=0)
    valid = pa.py_buffer(np.packbits(~mask, bitorder="little"))
    return pa.Array.from_buffers(kind, n, [valid, data], null_count=int(mask.sum()))
