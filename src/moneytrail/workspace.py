"""A workspace: one directory holding the warehouse, its config and its keys.

    WORKSPACE/
      config.toml          what created it and the schema version it was made with;
                           [ingest] memory_limit bounds DuckDB's memory while a file loads
      warehouse.duckdb     every canonical table, including quarantine and vault
      keys/token.key       HMAC key for identifier tokens (32 bytes, mode 0600)
      keys/vault.key       AES-256 key of the vault (32 bytes, mode 0600)
      keys/audit.key       HMAC key of the audit log's hash chain (32 bytes, mode 0600)
      keys/session.key     signing key of the API's short-lived access tokens (32 bytes)
      cases.sqlite         the case store, unless MONEYTRAIL_CASES_URL names a server

Agencies that deconflict share the token key (set MONEYTRAIL_TOKEN_KEY to its
hex on every deployment); the vault key never leaves the workspace.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from moneytrail.errors import WorkspaceError

DEFAULT_WORKSPACE = "moneytrail-workspace"
ENV_WORKSPACE = "MONEYTRAIL_WORKSPACE"
ENV_TOKEN_KEY = "MONEYTRAIL_TOKEN_KEY"  # noqa: S105 - the name of a variable, not a secret
ENV_CASES_URL = "MONEYTRAIL_CASES_URL"
_CONFIG_VERSION = 1
DEFAULT_LOAD_MEMORY = "256MiB"
"""DuckDB's memory limit while a file loads, unless config.toml's [ingest] memory_limit
says otherwise: enough for a load's chunks and its last queries (which spill to disk
beyond it), and flat however large the file."""
_MEMORY = re.compile(r"\s*[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def resolve(cls, path: Path | str | None = None) -> Workspace:
        """The workspace named by `path`, else $MONEYTRAIL_WORKSPACE, else ./moneytrail-workspace."""
        chosen = path or os.environ.get(ENV_WORKSPACE) or DEFAULT_WORKSPACE
        return cls(Path(chosen).expanduser().resolve())

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def cases_url(self) -> str:
        """SQLAlchemy URL of the case store: $MONEYTRAIL_CASES_URL, else SQLite in the workspace."""
        return os.environ.get(ENV_CASES_URL) or f"sqlite:///{self.root / 'cases.sqlite'}"

    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    def exists(self) -> bool:
        return self.config_path.is_file()

    def ensure(self) -> Workspace:
        """Create the workspace if it is missing; check it if it is there."""
        if self.root.exists() and not self.root.is_dir():
            raise WorkspaceError(f"{self.root} is a file, not a workspace directory")
        if self.root.is_dir() and not self.exists() and any(self.root.iterdir()):
            raise WorkspaceError(
                f"{self.root} is a non-empty directory without config.toml; "
                "refusing to turn it into a workspace"
            )
        try:
            (self.root / "keys").mkdir(parents=True, exist_ok=True)
            if not self.exists():
                self.config_path.write_text(
                    f"# moneytrail workspace\nconfig_version = {_CONFIG_VERSION}\n",
                    encoding="utf-8",
                )
        except OSError as exc:
            raise WorkspaceError(f"cannot create workspace at {self.root}: {exc}") from exc
        self.config()
        return self

    def config(self) -> dict[str, object]:
        import tomllib  # noqa: PLC0415 - kept off the start-up of commands that never read it

        try:
            with self.config_path.open("rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise WorkspaceError(f"cannot read {self.config_path}: {exc}") from exc
        if data.get("config_version") != _CONFIG_VERSION:
            raise WorkspaceError(
                f"{self.config_path}: config_version {data.get('config_version')!r} is not "
                f"{_CONFIG_VERSION}, the one this moneytrail writes"
            )
        return data

    def load_memory_limit(self) -> str:
        """DuckDB's memory limit while a file loads ([ingest] memory_limit in config.toml)."""
        section = self.config().get("ingest", {})
        value = (
            section.get("memory_limit", DEFAULT_LOAD_MEMORY) if isinstance(section, dict) else None
        )
        if not isinstance(value, str) or not _MEMORY.fullmatch(value):
            raise WorkspaceError(
                f"{self.config_path}: [ingest] memory_limit must be a size such as "
                f"{DEFAULT_LOAD_MEMORY!r} or '2GB', not {value!r}"
            )
        return value.strip()

    def token_key(self) -> bytes:
        shared = os.environ.get(ENV_TOKEN_KEY)
        if shared:
            try:
                key = bytes.fromhex(shared)
            except ValueError as exc:
                raise WorkspaceError(f"{ENV_TOKEN_KEY} must be hex: {exc}") from exc
            if len(key) < 32:
                raise WorkspaceError(f"{ENV_TOKEN_KEY} must hold at least 32 bytes (64 hex digits)")
            return key
        return self._key("token.key")

    def vault_key(self) -> bytes:
        return self._key("vault.key")

    def audit_key(self) -> bytes:
        return self._key("audit.key")

    def session_key(self) -> bytes:
        return self._key("session.key")

    def _key(self, name: str) -> bytes:
        path = self.root / "keys" / name
        if not path.exists():
            import secrets  # noqa: PLC0415 - kept off the start-up of commands without keys

            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        key = path.read_bytes()
        if len(key) != 32:
            raise WorkspaceError(f"{path} must hold exactly 32 bytes, found {len(key)}")
        return key
