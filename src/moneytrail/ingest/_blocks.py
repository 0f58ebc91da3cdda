"""A stream cut into blocks of whole lines, and a block's lines as an Arrow table.

Both work in buffers kept from block to block: a 32 MiB block copied five times
into fresh memory cost the kernel more (page faults) than parsing it cost DuckDB.
A block handed out is valid until the next one is asked for.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from moneytrail import _arrow as arrow

_BLANK = b"\r\n\t "
_TAIL_WINDOW = 64 << 10


def whole_lines(stream: io.RawIOBase, head: bytes, block_bytes: int) -> Iterator[memoryview]:
    """Blocks of `head` and then `stream`, each of whole lines ending in a newline.

    Blank lines at the end of a block are carried to the next: only at the end of
    the file is it known whether they are padding or rows (up to a block's worth;
    beyond that they are handed out as rows, keeping memory bounded). At the end of
    the file the blank lines are dropped and the last line gets its newline.
    """
    buf = bytearray(max(block_bytes, len(head)) + len(head) + 1)
    buf[: len(head)] = head
    carry = len(head)
    while True:
        if len(buf) < carry + block_bytes + 1:
            grown = bytearray(carry + block_bytes + 1)
            grown[:carry] = buf[:carry]
            buf = grown
        read = _fill(stream, memoryview(buf)[carry : carry + block_bytes])
        filled = carry + read
        if not read:
            end = _last_text(buf, filled)
            if end:
                buf[end] = 10  # the capacity holds one byte past `filled`
                yield memoryview(buf)[: end + 1]
            return
        end = buf.rfind(b"\n", 0, filled) + 1
        last_text = _last_text(buf, end)
        if end - last_text > block_bytes:
            keep = end
        else:
            keep = buf.find(b"\n", last_text, end) + 1 if last_text else 0
        if keep:
            yield memoryview(buf)[:keep]
            buf[: filled - keep] = buf[keep:filled]
        carry = filled - keep


def _fill(stream: io.RawIOBase, view: memoryview) -> int:
    """Read into `view` until it is full or the stream ends; the bytes read."""
    got = 0
    while got < len(view):
        n = stream.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _last_text(buf: bytearray, end: int) -> int:
    """The index after the last byte of buf[:end] that is not blank (0: all blank)."""
    pos = end
    while pos > 0:
        low = max(0, pos - _TAIL_WINDOW)
        kept = len(bytes(buf[low:pos]).rstrip(_BLANK))
        if kept:
            return low + kept
        pos = low
    return 0


class LineTables:
    """A block's lines as (row_no, line) record batches, the line feeds left out."""

    def __init__(self, batch_rows: int) -> None:
        self.batch_rows = batch_rows
        self._mask: npt.NDArray[np.bool_] = np.empty(0, dtype=np.bool_)

    def table(self, block: memoryview, first_row: int) -> tuple[pa.Table, bool]:
        """The lines of `block` (whole lines, see whole_lines), numbered from first_row + 1,
        and whether all of them are UTF-8 (then as text: Arrow checks a block at once,
        far faster than row by row)."""
        data = np.frombuffer(block, dtype=np.uint8)
        if len(self._mask) < len(data):
            self._mask = np.empty(len(data), dtype=np.bool_)
        mask = self._mask[: len(data)]
        np.equal(data, 10, out=mask)
        newlines = np.flatnonzero(mask)
        if len(newlines) == 0 or newlines[-1] != len(data) - 1:
            raise AssertionError("blocks end with a newline")  # see whole_lines()
        n = len(newlines)
        # the bytes less the line feeds: line i ends where its line feed was, less the
        # i line feeds before it
        offsets = np.empty(n + 1, dtype=np.int64)
        offsets[0] = 0
        offsets[1:] = newlines - np.arange(n)
        np.logical_not(mask, out=mask)
        body = data[mask]  # np.compress(out=) would build a temporary index 8x the block
        lines: pa.Array = pa.LargeBinaryArray.from_buffers(
            pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(body)]
        )
        try:
            lines = lines.cast(pa.large_string())
            text = True
        except pa.ArrowInvalid:
            text = False  # the parse decodes row by row, and refuses the rows that are not
        row_no = np.arange(first_row + 1, first_row + 1 + n, dtype=np.int64)
        whole = arrow.table({"row_no": arrow.int64_array(row_no), "line": lines})
        # DuckDB scans an Arrow table a record batch per thread: one batch would parse
        # on one core; slices are views, no copy
        return pa.Table.from_batches(whole.to_batches(max_chunksize=self.batch_rows)), text
