"""moneytrail: an open-source financial-crime investigation workbench.

The public Python API is what this module exports; everything else is internal
and may change without notice.
"""

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
    FileFormatError,
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
    TraceError,
    UnknownFormatError,
    VaultError,
    WorkspaceError,
)
from moneytrail.ingest import FORMATS, FileReport, detect_format, ingest_file
from moneytrail.warehouse import SCHEMA_VERSION, Warehouse
from moneytrail.workspace import Workspace

__version__ = "0.1.0"

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
    "FileFormatError",
    "FileReport",
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
    "TraceError",
    "UnknownFormatError",
    "VaultError",
    "Warehouse",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "detect_format",
    "ingest_file",
]
