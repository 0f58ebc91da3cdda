"""Placeholder replaced by the ftm reader."""

from moneytrail.ingest._context import LoadContext

FORMAT = "ftm"


def read(ctx: LoadContext) -> int:
    raise NotImplementedError
