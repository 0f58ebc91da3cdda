"""The read gateway: every read of labelled warehouse data that serves a person.

A `Gateway` reads for one `Viewer` (a signed-in principal, or nobody at the
command line, and optionally a case): it attaches each row's labels (from
`moneytrail.access`'s labels module), asks the policy through the `Gate`,
masks what the viewer may not see (a withheld row says only that it is
withheld and why) and appends reads of restricted rows, and denials, to the
hash-chained audit log. The API routes, the CLI listings and case reports all
read through it; `tests/gateway/test_static.py` fails when a module serving a
person reads a labelled table any other way.

One JSON shape per row type (alert, entity, employer flag) is made here and
used by the CLI and the API alike.
"""

from moneytrail.gateway._gate import Gate, Row, Viewer, withheld_notice
from moneytrail.gateway._reader import Gateway, Listing, cursor_source
from moneytrail.gateway._shapes import mask_name
from moneytrail.privacy import shown_id

__all__ = [
    "Gate",
    "Gateway",
    "Listing",
    "Row",
    "Viewer",
    "cursor_source",
    "mask_name",
    "shown_id",
    "withheld_notice",
]
