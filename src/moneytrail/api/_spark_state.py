"""What the API reads while it serves on Spark: the Spark warehouse, through one connection.

The counterpart of `_state.WarehouseReader`, with the same small interface
(`cursor`, `cached`, `vault`, `tracer`, `trace_lock`, `close`), so that the routes,
the read gateway and the exports are the same code on either engine. The Spark
session is started on the first request that reads the warehouse and stopped
when the application closes (unless it was running before: a notebook's, or the
tests' shared one, is left running).

**One request at a time on the connection.** A `SparkConnection` keeps every
canonical table as a temp view of the session, and a temp view is per session,
not per thread: the tracer registers views under fixed names (`_trace_wanted`,
`_trace_aliases`) that two traces at once would overwrite, and the views are read
again when the tables change (below). So each request holds one lock (`_con_lock`)
while it uses the connection, and tracing and exports hold the same lock
(`trace_lock` is it; re-entrant, since an export reads through the gateway
inside it). What this costs is little: the API serves sync routes on two threads
(`_app.THREADS`), and one Spark query of local[2] already keeps both cores busy.
Page hits (`cached`) do not take it.

**A write while serving.** Nothing locks a Spark warehouse's Parquet files, as
DuckDB's read-only open locks its file: a load or a stage may land while the API
serves. Before each use of the connection the reader compares every table's
directory (inode and modification time; a commit renames files into it or
swaps it whole) with what its views were read at, reads the changed tables
again and drops the tracer's ledger; the page cache is kept per state of the
directories, so a page built before the write is not served after it. A write
that lands during a request can still fail that request (the files its views
list are gone); the next one reads the new tables.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

from moneytrail.model.tables import TABLES
from moneytrail.privacy import Vault
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession

    from moneytrail.spark._reading import SparkView
    from moneytrail.trace import Tracer

T = TypeVar("T")
Stamp = tuple[tuple[int, int] | None, ...]
"""Each canonical table's directory as (inode, mtime in ns), None where it is absent."""

_NAMES = tuple(t.name for t in TABLES)


class SparkWarehouseReader:
    """The Spark warehouse, read through one connection that requests take in turn."""

    CACHE_SIZE = 8192

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._view: SparkView | None = None
        self._stopped_on_close: SparkSession | None = None
        self._read_at: Stamp | None = None
        self._tracer: Tracer[SparkView] | None = None
        self._vault: Vault | None = None
        self._con_lock = threading.RLock()
        self.trace_lock = self._con_lock  # the tracer reads through the same connection
        self._pages_lock = threading.Lock()
        self._pages: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._pages_at: Stamp | None = None

    def _stamp(self) -> Stamp:
        from moneytrail.spark._tables import table_dir  # noqa: PLC0415

        out: list[tuple[int, int] | None] = []
        for name in _NAMES:
            try:
                st = table_dir(self.workspace, name).stat()
            except OSError:
                out.append(None)
            else:
                out.append((st.st_ino, st.st_mtime_ns))
        return tuple(out)

    def _current(self) -> SparkView:
        """The connection, its views as the tables are now (call under _con_lock)."""
        stamp = self._stamp()  # before reading: a write after it is seen next time
        if self._view is None:
            self._view = self._open()
        elif stamp != self._read_at:
            was = self._read_at or (None,) * len(_NAMES)
            for name, old, new in zip(_NAMES, was, stamp, strict=True):
                if old != new:
                    self._view.spark_con.refresh(name)
            self._tracer = None  # its ledger was read from the old transactions
        self._read_at = stamp
        return self._view

    def _open(self) -> SparkView:
        from pyspark import SparkContext  # noqa: PLC0415 - pyspark is an optional extra

        from moneytrail.spark._connection import SparkConnection  # noqa: PLC0415
        from moneytrail.spark._reading import SparkView  # noqa: PLC0415
        from moneytrail.spark._session import spark_session  # noqa: PLC0415
        from moneytrail.spark._warehouse import SparkWarehouse  # noqa: PLC0415

        # getActiveSession() is the calling thread's, and requests come on the server's
        # worker threads: whether a session runs is the process's SparkContext.
        running = SparkContext._active_spark_context
        session = spark_session(self.workspace)
        self._stopped_on_close = None if running is not None else session
        wh = SparkWarehouse(self.workspace, session)
        return SparkView(wh, SparkConnection(wh, list(_NAMES)))

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection, held by this caller until it is done (see the module)."""
        with self._con_lock:
            view = self._current()
            # readers use only the part of DuckDB's API SparkConnection offers
            yield cast("duckdb.DuckDBPyConnection", view.spark_con.cursor())

    def cached(self, key: tuple[str, str], build: Callable[[], T]) -> T:
        """The page under `key`, built once while the tables stay as they are."""
        stamp = self._stamp()
        with self._pages_lock:
            if stamp != self._pages_at:
                self._pages.clear()
                self._pages_at = stamp
            elif key in self._pages:
                self._pages.move_to_end(key)
                page: T = self._pages[key]
                return page
        page = build()
        with self._pages_lock:
            if self._pages_at == stamp:  # not if a write landed meanwhile
                self._pages[key] = page
                if len(self._pages) > self.CACHE_SIZE:
                    self._pages.popitem(last=False)
        return page

    def vault(self) -> Vault:
        """The workspace's vault: its key from the workspace, its values a warehouse table."""
        if self._vault is None:
            self._vault = Vault(self.workspace.vault_key())
        return self._vault

    def tracer(self) -> Tracer[SparkView]:
        """The tracer over the warehouse's ledger, loaded once (call under trace_lock)."""
        from moneytrail.trace import Tracer  # noqa: PLC0415 - loads numba kernels; only when tracing

        with self._con_lock:
            view = self._current()
            if self._tracer is None:
                self._tracer = Tracer(view)
            return self._tracer

    def close(self) -> None:
        with self._con_lock:
            with self._pages_lock:
                self._pages.clear()
                self._pages_at = None
            self._tracer = None
            if self._view is not None:
                self._view.spark_con.close()
                self._view = None
            if self._stopped_on_close is not None:
                self._stopped_on_close.stop()
                self._stopped_on_close = None
            self._read_at = None


def spark_reader_for(workspace: Workspace) -> SparkWarehouseReader:
    """The API's reader of `workspace`'s Spark warehouse (Spark itself starts on first use)."""
    from moneytrail.engine import require_spark  # noqa: PLC0415

    require_spark()
    return SparkWarehouseReader(workspace)
