"""Arrow arrays built from buffers.

`pa.array` and `pa.table` probe their input for pandas objects and so import
pandas (about 0.3 s) the first time a process calls them; a command that has
no other use for pandas builds its arrays here instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa


def int64_array(values: npt.NDArray[np.int64]) -> pa.Array:
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def bytes_array(values: Sequence[bytes], kind: pa.DataType) -> pa.Array:
    """A binary or (UTF-8 encoded values) string array of `values`, none of them null."""
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    large = pa.large_binary() if pa.types.is_binary(kind) else pa.large_string()
    array = pa.Array.from_buffers(
        large, len(values), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(values))]
    )
    return array.cast(kind)


def table(columns: dict[str, pa.Array]) -> pa.Table:
    return pa.Table.from_arrays(list(columns.values()), names=list(columns))
