"""Record ids as a person sees them: long digit runs masked to their last four.

Record ids are built from what sources name their rows by, and some of those
names carry whole account numbers (camt.053 file names: a record of
'0260-3296350184.xml' is '0260-3296350184.xml:stmt1:account'). Every listing
shows them by `shown_id`; `shown_like` turns a shown id back into the SQL LIKE
pattern of the ids that show that way, so a command can take what a listing
printed (the caller checks each candidate with `shown_id` and refuses when
several remain).
"""

from __future__ import annotations

import re

# Runs of five or more digits are masked to their last four.
_LONG_DIGITS = re.compile(r"\d{5,}")
_STARS = re.compile(r"\*+")


def shown_id(record_id: str) -> str:
    """A record id as shown to a person: digit runs past four masked, last four kept."""
    return _LONG_DIGITS.sub(lambda m: "*" * (len(m[0]) - 4) + m[0][-4:], record_id)


def shown_like(shown: str) -> str:
    """The LIKE pattern (escape character '!') of every record id that may show as `shown`."""
    escaped = shown.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    # Each masked digit is one character of the id: '_' in LIKE.
    return _STARS.sub(lambda m: "_" * len(m[0]), escaped)
