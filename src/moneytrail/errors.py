"""Every error moneytrail raises on purpose.

    MoneytrailError
    ├── WorkspaceError          the workspace directory, its config or its keys
    ├── MigrationError          the warehouse schema cannot be brought up to date
    ├── VaultError              a raw identifier cannot be stored or revealed
    └── IngestError             a file cannot be loaded (nothing of it is kept)
        ├── UnknownFormatError  no reader recognises the file
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


class MigrationError(MoneytrailError):
    """The warehouse schema cannot be brought to the version this code needs."""


class VaultError(MoneytrailError):
    """A raw identifier cannot be stored in or revealed from the vault."""


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


class FileFormatError(IngestError):
    """The file is not a valid file of the format it was read as."""


class HostileInputError(FileFormatError):
    """The file contains a construct readers refuse for safety (DTD, entities)."""
