"""Numbers between Arrow and numpy as buffers (moneytrail.graph._arrow)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from moneytrail.errors import GraphDataError
from moneytrail.graph._arrow import from_numpy, to_numpy, valid


def test_numbers_and_flags_round_trip_through_slices_and_chunks() -> None:
    flags = np.array([True, False, True, True, False, False, True, True, True, False])
    arr = from_numpy(flags)
    assert arr.to_pylist() == flags.tolist()
    assert to_numpy(arr.slice(3), np.bool_).tolist() == flags[3:].tolist()
    chunked = pa.chunked_array([arr.slice(1, 4), arr.slice(7)])
    assert to_numpy(chunked, np.bool_).tolist() == [*flags[1:5], *flags[7:]]
    ints = from_numpy(np.arange(20, dtype=np.int64))
    assert to_numpy(ints.slice(5, 6), np.int64).tolist() == list(range(5, 11))
    assert len(to_numpy(pa.array([], pa.float64()), np.float64)) == 0


def test_a_mask_makes_nulls_and_valid_reads_them_back() -> None:
    values = np.array([1.5, np.nan, 3.0, np.nan])
    arr = from_numpy(values, mask=np.isnan(values))
    assert arr.to_pylist() == [1.5, None, 3.0, None]
    assert valid(arr.slice(1)).tolist() == [False, True, False]
    with pytest.raises(GraphDataError, match="nulls"):
        to_numpy(arr, np.float64)
    assert to_numpy(arr, np.float64, nulls=True)[[0, 2]].tolist() == [1.5, 3.0]


def test_a_column_of_another_type_is_refused() -> None:
    with pytest.raises(GraphDataError, match="int64"):
        to_numpy(from_numpy(np.arange(3, dtype=np.int32)), np.int64)


def test_mining_arrow_columns_does_not_import_pandas() -> None:
    # pyarrow's numpy conversions import pandas (0.4 s of a command's start)
    code = """
import sys
import duckdb
from moneytrail.graph import FeatureParams, build_graph, mine_txn_features
t = duckdb.sql(
    "SELECT range AS ts, range % 7 AS s, (range * 3) % 7 AS d, 9500.0::DOUBLE AS amount, "
    "'USD' AS currency, CASE WHEN range % 2 = 0 THEN 'cash' END AS channel FROM range(50)"
).to_arrow_table()
from moneytrail.graph._arrow import to_numpy
import numpy as np
g = build_graph(
    ts=to_numpy(t["ts"], np.int64), src_key=to_numpy(t["s"], np.int64),
    dst_key=to_numpy(t["d"], np.int64), amount=to_numpy(t["amount"], np.float64),
    currency=t["currency"].combine_chunks(), channel=t["channel"].combine_chunks(),
)
assert g.cash.sum() == 25, g.cash.sum()
mine_txn_features(g, FeatureParams(windows=(10,)))
assert "pandas" not in sys.modules, "pandas was imported"
"""
    subprocess.run([sys.executable, "-c", code], check=True)
