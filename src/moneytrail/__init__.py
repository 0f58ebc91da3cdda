"""moneytrail: an open-source financial-crime investigation workbench.

The public Python API is what this module exports; everything else is internal
and may change without notice.
"""

import importlib as _importlib
from typing import Any as _Any

from moneytrail.errors import (
    AccessDeniedError,
    AuditError,
    AuthenticationError,
    CaseError,
    CaseInputError,
    CaseStateError,
    CatalogueError,
    ContractsError,
    ContractsInputError,
    ContractsSettingsError,
    DetectError,
    EmployerCheckError,
    EngineError,
    EngineUnavailableError,
    EngineUnsupportedError,
    ExportError,
    FileFormatError,
    FilingRuleError,
    GraphDataError,
    GraphError,
    GraphParamsError,
    HostileInputError,
    IngestError,
    LinkDecisionError,
    MigrationError,
    MoneytrailError,
    NotFoundError,
    ProfileError,
    ResolveBackendError,
    ResolveError,
    ScorerError,
    SignInLockedError,
    TraceError,
    UnknownFormatError,
    UnknownReferenceError,
    VaultError,
    WarehouseBusyError,
    WorkspaceError,
)

__version__ = "0.1.0"

# Imported on first use, so that `import moneytrail` (and every command's
# start-up) does not pay for DuckDB, Arrow and the readers it may not need.
_LAZY = {
    "FORMATS": "moneytrail.ingest",
    "FileReport": "moneytrail.ingest",
    "detect_format": "moneytrail.ingest",
    "ingest_file": "moneytrail.ingest",
    "SCHEMA_VERSION": "moneytrail.warehouse",
    "Warehouse": "moneytrail.warehouse",
    "Workspace": "moneytrail.workspace",
}


def __getattr__(name: str) -> _Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'moneytrail' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "AccessDeniedError",
    "AuditError",
    "AuthenticationError",
    "CaseError",
    "CaseInputError",
    "CaseStateError",
    "CatalogueError",
    "ContractsError",
    "ContractsInputError",
    "ContractsSettingsError",
    "DetectError",
    "EmployerCheckError",
    "EngineError",
    "EngineUnavailableError",
    "EngineUnsupportedError",
    "ExportError",
    "FileFormatError",
    "FileReport",
    "FilingRuleError",
    "GraphDataError",
    "GraphError",
    "GraphParamsError",
    "HostileInputError",
    "IngestError",
    "LinkDecisionError",
    "MigrationError",
    "MoneytrailError",
    "NotFoundError",
    "ProfileError",
    "ResolveBackendError",
    "ResolveError",
    "ScorerError",
    "SignInLockedError",
    "TraceError",
    "UnknownFormatError",
    "UnknownReferenceError",
    "VaultError",
    "Warehouse",
    "WarehouseBusyError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "detect_format",
    "ingest_file",
]
