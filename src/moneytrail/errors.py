"""Every error moneytrail raises on purpose.

    MoneytrailError
    ├── WorkspaceError          the workspace directory, its config or its keys
    │   └── WarehouseBusyError      another process (e.g. the API) holds the warehouse
    ├── MigrationError          the warehouse schema cannot be brought up to date
    ├── EngineError             the engine asked for (duckdb, spark) is unknown or misconfigured
    │   ├── EngineUnavailableError  Spark was asked for but pyspark or Java is missing
    │   └── EngineUnsupportedError  the command does not run on the engine asked for yet
    ├── VaultError              a raw identifier cannot be stored or revealed
    ├── EmployerCheckError      employer checks cannot run as asked (unknown check or parameter)
    ├── ResolveError            entity resolution cannot run or record a decision
    │   ├── ResolveBackendError     the linking backend asked for is not available
    │   └── LinkDecisionError       a confirm/reject names records that cannot be linked
    ├── GraphError              money-flow graph features cannot be mined
    │   ├── GraphParamsError        feature-mining parameters are invalid (all listed)
    │   └── GraphDataError          the transactions cannot be made into a graph
    ├── ContractsError          procurement red flags cannot be computed
    │   ├── ContractsSettingsError  a Cardinal settings (INI) file is invalid
    │   └── ContractsInputError     an OCDS file to flag cannot be read
    ├── TraceError              funds cannot be traced (unknown transaction, bad rule or input)
    ├── DetectError             detection, scoring or evaluation cannot run as asked
    │   ├── CatalogueError          the typology catalogue or its parameters are invalid (all listed)
    │   └── ScorerError             the supervised scorer cannot train or score
    ├── CaseError               the case store refuses a request
    │   ├── AuthenticationError     unknown user, wrong password, bad or expired token
    │   │   └── SignInLockedError       too many failed sign-ins: locked for a while
    │   ├── AccessDeniedError       the access policy denies the action (its reason is the message)
    │   ├── NotFoundError           no such case, user, alert or object (or not one you may see)
    │   │   └── UnknownReferenceError   a reference (account, SSN, EIN) names nothing in the warehouse
    │   ├── CaseStateError          a status change or action the case workflow does not allow
    │   └── CaseInputError          a request's fields are invalid (all problems listed)
    ├── AuditError              the audit log cannot be written or read
    ├── ExportError             a filing, export or report cannot be made as asked
    │   └── FilingRuleError         a filing breaks its schema or a business rule (rule named)
    └── IngestError             a file cannot be loaded (nothing of it is kept)
        ├── UnknownFormatError  no reader recognises the file
        ├── ProfileError        a bank-csv or pdf mapping profile is invalid (all problems listed)
        └── FileFormatError     the file is not a valid file of its format
            └── HostileInputError   the file tries something a reader refuses
                                    (a DTD, entity expansion, an external entity)

Row-level problems are not exceptions: they are quarantined with a reason and
the rest of the file loads. An IngestError means the whole file was refused.
"""

from __future__ import annotations

from pathlib import Path


class MoneytrailError(Exception):
    """Base class of every error raised on purpose by moneytrail."""


class WorkspaceError(MoneytrailError):
    """The workspace directory, its configuration or its keys are unusable."""


class WarehouseBusyError(WorkspaceError):
    """Another process holds the warehouse in a way that excludes this one.

    DuckDB lets many read-only processes share the file, or one writer have it
    alone. The message says who holds it (the API, when `moneytrail serve` does)
    and how to proceed; `holder_pid` is that process when DuckDB names it.
    """

    def __init__(self, message: str, holder_pid: int | None = None) -> None:
        super().__init__(message)
        self.holder_pid = holder_pid


class MigrationError(MoneytrailError):
    """The warehouse schema cannot be brought to the version this code needs."""


class EngineError(MoneytrailError):
    """The engine asked for is unknown, or its settings are invalid."""


class EngineUnavailableError(EngineError):
    """Spark was asked for but what it needs (pyspark, a Java runtime) is not installed."""


class EngineUnsupportedError(EngineError):
    """The command has not been brought to the engine asked for yet (it names the command)."""


class VaultError(MoneytrailError):
    """A raw identifier cannot be stored in or revealed from the vault."""


class ResolveError(MoneytrailError):
    """Entity resolution cannot run, or cannot record what it was asked to."""


class ResolveBackendError(ResolveError):
    """The linking backend asked for (e.g. spark) is not available."""


class LinkDecisionError(ResolveError):
    """A confirm/reject decision names records that are unknown or of different kinds."""


class TraceError(MoneytrailError):
    """Funds cannot be traced: an unknown transaction or subject, a bad rule or input."""


class EmployerCheckError(MoneytrailError):
    """Employer checks cannot run as asked: an unknown check or a bad parameter value."""


class IngestError(MoneytrailError):
    """A file was refused as a whole; nothing of it was stored."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.row = row
        self.field = field
        self.detail = message
        where = str(self.path)
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


class UnknownFormatError(IngestError):
    """No reader recognises the file's content."""


class ProfileError(IngestError):
    """A mapping profile (bank-csv, pdf) is invalid; every problem is listed."""


class FileFormatError(IngestError):
    """The file is not a valid file of the format it was read as."""


class HostileInputError(FileFormatError):
    """The file contains a construct readers refuse for safety (DTD, entities)."""


class ContractsError(MoneytrailError):
    """Procurement red flags cannot be computed or stored."""


class ContractsSettingsError(ContractsError):
    """A Cardinal settings (INI) file has an unknown section or key, or a bad value."""

    def __init__(
        self, path: Path | str, section: str | None, key: str | None, message: str
    ) -> None:
        self.path = Path(path)
        self.section = section
        self.key = key
        where = str(self.path)
        if section is not None:
            where += f", section [{section}]"
        if key is not None:
            where += f", key {key!r}"
        super().__init__(f"{where}: {message}")


class ContractsInputError(ContractsError):
    """An OCDS file given to the contracts commands cannot be read."""

    def __init__(self, path: Path | str, message: str, *, row: int | None = None) -> None:
        self.path = Path(path)
        self.row = row
        where = str(self.path) + (f", line {row}" if row is not None else "")
        super().__init__(f"{where}: {message}")


class GraphError(MoneytrailError):
    """Money-flow graph features cannot be mined."""


class GraphParamsError(GraphError):
    """Feature-mining parameters are invalid; every problem is listed, not just the first."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid graph feature parameters: " + "; ".join(self.problems))


class GraphDataError(GraphError):
    """The stored transactions cannot be turned into graph arrays."""


class DetectError(MoneytrailError):
    """Detection, scoring or evaluation cannot run as asked."""


class CatalogueError(DetectError):
    """The typology catalogue or parameter overrides are invalid; every problem is listed."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = list(problems)
        super().__init__(f"{where}: " + "; ".join(self.problems))


class ScorerError(DetectError):
    """The supervised scorer cannot be trained or used (no labels, no model, bad time)."""


class CaseError(MoneytrailError):
    """The case store refuses a request."""


class AuthenticationError(CaseError):
    """Unknown user, wrong password, or a bad or expired access token."""


class SignInLockedError(AuthenticationError):
    """Too many failed sign-ins for this user or from this address: refused until `retry_after`."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds until the lock ends


class AccessDeniedError(CaseError):
    """The access policy denies the action; the message is the policy's reason."""


class NotFoundError(CaseError):
    """No such case, user, alert or object, or none that the asker may see."""


class UnknownReferenceError(NotFoundError):
    """A reference (an account's key, display, token or entity id; an SSN or EIN token)
    names nothing in the warehouse, or more than one thing."""


class CaseStateError(CaseError):
    """A status change or action that the case workflow does not allow now."""


class CaseInputError(CaseError):
    """A request's fields are invalid; every problem is listed in the message."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class AuditError(MoneytrailError):
    """The audit log cannot be written or read."""


class ExportError(MoneytrailError):
    """A filing, export or report of a case cannot be made as asked (nothing is written)."""


class FilingRuleError(ExportError):
    """A filing breaks its schema or a business rule the schema cannot check.

    `problems` lists each broken rule as "rule-id: what is wrong", all of them.
    """

    def __init__(self, fmt: str, problems: list[str]) -> None:
        self.format, self.problems = fmt, list(problems)
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"{fmt} filing refused: {shown}{more}")
