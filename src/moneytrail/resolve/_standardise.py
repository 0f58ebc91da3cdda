"""Standardisation: names, dates, addresses and identifiers made comparable.

All of it is SQL over a relation of raw records, so a million records are
standardised in one statement; only non-ASCII text goes through Python
(`unidecode`, for transliteration of e.g. Cyrillic or Greek), through the
`mt_translit` function that `install_sql` defines on a connection.

The raw relation has the columns of RAW_COLUMNS; the result has STD_COLUMNS.
"""

from __future__ import annotations

import contextlib

import duckdb
from duckdb.func import FunctionNullHandling
from unidecode import unidecode

from moneytrail.resolve._vocab import LEGAL_SUFFIXES, NICKNAMES, STREET_WORDS

RAW_COLUMNS = (
    "record_id",
    "kind",
    "source_id",
    "name",
    "first_name",
    "last_name",
    "dob",
    "address",
    "id_token",
)
STD_COLUMNS = (
    "record_id",
    "kind",
    "source_id",
    "name",
    "first_name",
    "first_canon",
    "last_name",
    "dob",
    "dob_year",
    "address",
    "house_number",
    "postcode",
    "id_token",
)


def _translit(text: str | None) -> str | None:
    return None if text is None else unidecode(text)


def install_sql(con: duckdb.DuckDBPyConnection) -> None:
    """Define `mt_translit(text)` (ASCII transliteration) on this connection.

    On Spark (moneytrail.spark._connection) it becomes a Python UDF of the session.
    """
    # DuckDB cannot define a function twice: one already defined on this connection stays
    with contextlib.suppress(duckdb.NotImplementedException):
        con.create_function(
            "mt_translit",
            _translit,
            ["VARCHAR"],
            "VARCHAR",
            null_handling=FunctionNullHandling.SPECIAL,
        )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _map_literal(mapping: dict[str, str]) -> str:
    return "MAP {" + ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in mapping.items()) + "}"


def _ascii(expr: str) -> str:
    """Lower-cased ASCII text: accents stripped and other scripts transliterated."""
    return (
        f"lower(CASE WHEN regexp_matches({expr}, '[^\\x01-\\x7f]') "
        f"THEN mt_translit({expr}) ELSE {expr} END)"
    )


def _words(expr: str) -> str:
    """Letters and digits only, words separated by one space; '' becomes NULL."""
    dropped = f"regexp_replace({expr}, '[.''`]', '', 'g')"  # L.L.C. -> llc, O'Neil -> oneil
    spaced = f"regexp_replace({dropped}, '[^a-z0-9]+', ' ', 'g')"
    return f"nullif(trim({spaced}), '')"


_SUFFIX_RE = "( (" + "|".join(LEGAL_SUFFIXES) + "))+$"
_DIGITS = "regexp_replace(dob, '[^0-9]', '', 'g')"
_US_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4})$"


def _dob() -> str:
    """YYYY-MM-DD, YYYY-MM or YYYY. Digits are kept as recorded (a typo stays
    comparable by edit distance); d/m/y with slashes is read the US way."""
    return f"""CASE
        WHEN regexp_matches(dob, '^\\d{{4}}-?\\d{{2}}-?\\d{{2}}')
            THEN substr({_DIGITS}, 1, 4) || '-' || substr({_DIGITS}, 5, 2) || '-'
                 || substr({_DIGITS}, 7, 2)
        WHEN regexp_matches(dob, '^\\d{{4}}-\\d{{2}}$') THEN dob
        WHEN regexp_matches(dob, '^\\d{{4}}$') THEN dob
        WHEN regexp_matches(dob, '{_US_DATE}')
            THEN regexp_extract(dob, '{_US_DATE}', 3) || '-'
                 || lpad(regexp_extract(dob, '{_US_DATE}', 1), 2, '0') || '-'
                 || lpad(regexp_extract(dob, '{_US_DATE}', 2), 2, '0')
        END"""


def standardise_sql(raw: str) -> str:
    """A SELECT turning the raw relation `raw` into standardised records."""
    nick = _map_literal(NICKNAMES)
    street = _map_literal(STREET_WORDS)
    # a trailing group of 4 or 5 digits is the postcode (ZIP, ZIP+4, or e.g. Australian)
    addr1 = _words("regexp_replace(addr0, '\\b\\d{4,5}(-\\d{4})?\\s*$', '')")
    return f"""
    WITH a AS (
        SELECT record_id, kind, source_id,
            {_words(_ascii("replace(name, '&', ' and ')"))} AS name0,
            {_words(_ascii("first_name"))} AS first0,
            {_words(_ascii("last_name"))} AS last0,
            trim(dob) AS dob,
            -- the unit ('Suite 317', 'Apt 4', '#4') names a door, not the building
            regexp_replace({_ascii("address")},
                '(\\b(suite|ste|apt|apartment|unit|room)\\.?|#)\\s*[a-z0-9-]+', ' ', 'g')
                AS addr0,
            nullif(trim(id_token), '') AS id_token
        FROM {raw}
    ), b AS (
        SELECT *,
            nullif(regexp_extract(addr0, '\\b(\\d{{4,5}})(-\\d{{4}})?\\s*$', 1), '') AS postcode,
            {addr1} AS addr1,
            CASE WHEN kind = 'person' THEN coalesce(first0,
                CASE WHEN name0 LIKE '% %' THEN split_part(name0, ' ', 1) END) END AS first1,
            CASE WHEN kind = 'person' THEN coalesce(last0,
                CASE WHEN name0 LIKE '% %' THEN regexp_extract(name0, '(\\S+)$', 1)
                     ELSE name0 END) END AS last1
        FROM a
    )
    SELECT record_id, kind, source_id,
        CASE WHEN kind = 'company'
            THEN nullif(regexp_replace(regexp_replace(name0, '^the ', ''), '{_SUFFIX_RE}', ''), '')
            ELSE coalesce(name0, nullif(concat_ws(' ', first1, last1), '')) END AS name,
        first1 AS first_name,
        coalesce({nick}[first1], first1) AS first_canon,
        last1 AS last_name,
        {_dob()} AS dob,
        substr({_dob()}, 1, 4) AS dob_year,
        nullif(array_to_string(list_transform(string_split(addr1, ' '),
            lambda w: coalesce({street}[w], w)), ' '), '') AS address,
        nullif(regexp_extract(addr1, '^(\\d+)', 1), '') AS house_number,
        postcode,
        id_token
    FROM b
    """


__all__ = ["RAW_COLUMNS", "STD_COLUMNS", "install_sql", "standardise_sql"]
