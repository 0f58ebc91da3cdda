"""Record ids the synthetic world's files use, shared by every writer and the truth."""

from __future__ import annotations


def party_record_id(party: int, source: str = "registry") -> str:
    """The id of a party's record in one source (FtM entity id, W-2 record, ...)."""
    return f"synth-{source}-p{party}"


def account_record_id(account: int) -> str:
    return f"synth-account-a{account}"


def asset_record_id(asset: int) -> str:
    return f"synth-asset-{asset}"
