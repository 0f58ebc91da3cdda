"""Arrow arrays from buffers equal pa.array's, and an aml-csv load never imports pandas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa

from moneytrail import _arrow as arrow


def test_arrays_from_buffers_equal_pa_array() -> None:
    words = ["", "a", "héllo", "x" * 1000]
    assert arrow.bytes_array([w.encode() for w in words], pa.string()).equals(pa.array(words))
    blobs = [b"\x00\x01", b"", b"\xff" * 3]
    assert arrow.bytes_array(blobs, pa.binary()).equals(pa.array(blobs, pa.binary()))
    assert arrow.bytes_array([], pa.string()).equals(pa.array([], pa.string()))
    numbers = np.array([3, -1, 2**40])
    assert arrow.int64_array(numbers).equals(pa.array(numbers))
    table = arrow.table({"n": arrow.int64_array(numbers)})
    assert table.column_names == ["n"] and table.num_rows == 3


def test_an_aml_csv_load_does_not_import_pandas(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text(
        "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
        "Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
        "2022/09/01 00:20,010,8000EBD30,3208,8000F4580,10.00,US Dollar,10.00,US Dollar,Wire,0\n",
        encoding="utf-8",
    )
    probe = (
        "import sys\nfrom moneytrail.cli import app\n"
        f"app(['-w', {str(tmp_path / 'ws')!r}, 'ingest', {str(csv)!r}, '--json'], "
        "standalone_mode=False)\n"
        "print('pandas' in sys.modules, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "False"
