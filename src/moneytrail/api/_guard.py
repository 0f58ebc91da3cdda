"""The API's way into the read gateway: one `Gateway` per request, for the signed-in user.

Warehouse views (alerts, entities, graph, trace, employers) are read only
through `moneytrail.gateway`: who may read them is `access.decide_view`
(analysts and supervisors), and rows labelled FTI (or otherwise restricted) are
shown only with ?case_id=N naming a case whose unexpired legal basis covers them
and names the asker, as `access.decide` rules; the gateway audits that decision
either way, and a withheld row says only that it is withheld and why.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from moneytrail.access import Principal
from moneytrail.api._state import reader_of, store_of
from moneytrail.gateway import Gate, Gateway, Viewer

CaseParam = Annotated[
    int | None,
    Query(
        ge=1,
        le=2**31 - 1,
        description="A case whose legal basis covers FTI and names you, to see FTI-derived rows.",
    ),
]


def gateway_of(request: Request, actor: Principal, case_id: int | None = None) -> Gateway:
    """The read gateway for this request: the asker, the case they name, the shared reader."""
    reader = reader_of(request)
    viewer = Viewer(actor, case_id, "api", place=request.url.path)
    return Gateway(reader.cursor, Gate(viewer, store_of(request)), reader.cached)
