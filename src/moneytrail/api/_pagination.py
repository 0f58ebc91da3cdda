"""Pages of results: `limit` (1..500, default 50) and `offset` in, a Page out.

    {"items": [...], "total": 1234, "limit": 50, "offset": 100, "next": "http://.../cases?..."}

`next` is the URL of the following page (the same query with the offset moved
on), or null on the last page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="Items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    next: str | None


def page(request: Request, items: list[dict[str, Any]], total: int, params: PageParams) -> Page:
    following = params.offset + params.limit
    nxt = (
        str(request.url.include_query_params(offset=following, limit=params.limit))
        if following < total
        else None
    )
    return Page(items=items, total=total, limit=params.limit, offset=params.offset, next=nxt)
