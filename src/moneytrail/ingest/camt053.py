"""Placeholder replaced by the camt053 reader."""

from moneytrail.ingest._context import LoadContext

FORMAT = "camt053"


def read(ctx: LoadContext) -> int:
    raise NotImplementedError
