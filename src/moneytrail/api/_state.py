"""What the application holds while it serves: the case store and the warehouse.

The warehouse is read through a `Reader`, chosen by the engine in force
(`open_reader`). On DuckDB (`WarehouseReader`), whose connections are not
thread-safe and whose read-write lock would block the CLI, the API opens it
read-only, once, on the first request that needs it, and gives each request a
cursor of its own. On Spark it is `_spark_state.SparkWarehouseReader`. Either is
closed with the application, so nothing is held when the API is not serving.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import duckdb
from fastapi import Request

from moneytrail.privacy import Vault
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    from moneytrail.cases import CaseStore
    from moneytrail.engine import EngineName
    from moneytrail.trace import Tracer

T = TypeVar("T")


class Reader(Protocol):
    """What the routes read the warehouse through, on either engine."""

    @property
    def workspace(self) -> Workspace: ...

    @property
    def trace_lock(self) -> AbstractContextManager[Any]:
        """Held while tracing or exporting: the tracer keeps its connection."""
        ...

    def cursor(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A cursor for one read (a context: released when the read is done)."""
        ...

    def cached(self, key: tuple[str, str], build: Callable[[], T]) -> T:
        """The page under `key`, built by `build` when it is not kept."""
        ...

    def vault(self) -> Vault: ...

    def tracer(self) -> Tracer[Any]:
        """The tracer over the warehouse's ledger (call under trace_lock)."""
        ...

    def close(self) -> None: ...


def open_reader(workspace: Workspace, engine: EngineName) -> Reader:
    """The reader of the warehouse of the engine in force (nothing is opened until used)."""
    if engine == "spark":
        from moneytrail.api._spark_state import spark_reader_for  # noqa: PLC0415 - optional

        return spark_reader_for(workspace)
    return WarehouseReader(workspace)


class WarehouseReader:
    """A read-only warehouse opened on first use, with one cursor per caller.

    While the API holds the warehouse open read-only no process can write to
    it, so what a page reads cannot change until the reader is closed: pages
    built from it may be kept (`cached`), bounded, and are dropped on close.
    """

    CACHE_SIZE = 8192

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._wh: Warehouse | None = None
        self._tracer: Tracer[Warehouse] | None = None
        self._lock = threading.Lock()
        self._pages: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.trace_lock = threading.Lock()  # one trace at a time: the tracer keeps its cursor

    def _warehouse(self) -> Warehouse:
        if self._wh is None:
            self._wh = Warehouse(self.workspace, read_only=True)
        return self._wh

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # Only the cursor is made under the lock: it is the one call on the shared
        # connection object; each cursor is then used by one thread alone.
        with self._lock:
            cur = self._warehouse().con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def cached(self, key: tuple[str, str], build: Callable[[], T]) -> T:
        """The page under `key`, built once (a concurrent miss may build it twice)."""
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                page: T = self._pages[key]
                return page
        page = build()
        with self._lock:
            self._pages[key] = page
            if len(self._pages) > self.CACHE_SIZE:
                self._pages.popitem(last=False)
        return page

    def vault(self) -> Vault:
        """The workspace's vault (its key is read from the workspace when asked)."""
        return self._warehouse().vault

    def tracer(self) -> Tracer[Warehouse]:
        """The tracer over the warehouse's ledger, loaded once (call under trace_lock)."""
        from moneytrail.trace import Tracer  # noqa: PLC0415 - loads numba kernels; only when tracing

        if self._tracer is None:
            # A shallow copy that reads through its own cursor, so tracing never
            # shares a connection object with concurrent requests.
            with self._lock:
                view = copy.copy(self._warehouse())
                view.con = view.con.cursor()
            self._tracer = Tracer(view)
        return self._tracer

    def close(self) -> None:
        with self._lock:
            self._pages.clear()
            if self._tracer is not None:
                self._tracer.wh.con.close()
                self._tracer = None
            if self._wh is not None:
                self._wh.close()
                self._wh = None


def store_of(request: Request) -> CaseStore:
    store: CaseStore = request.app.state.store
    return store


def reader_of(request: Request) -> Reader:
    reader: Reader = request.app.state.warehouse
    return reader
