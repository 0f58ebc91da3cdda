"""FollowTheMoney entities: validation, merging and mapping onto the canonical tables.

Kept apart from `ftm` so that importing moneytrail does not pay for loading the
FtM model (about a second); only loading an FtM file does.

Decisions a reviewer should know about:

* Protected traits (see PROTECTED) are dropped before anything is stored, even
  in temporary tables, and again after merging, since a merge can turn a
  LegalEntity (whose `country` is kept) into a Person (whose is not).
* Identifier-typed properties never reach a table in clear: each value becomes
  an `identifiers` row (token and masked form) and a vault entry, and is
  removed from the `properties` JSON. The one exception is a bank account's BIC
  or bank name in `accounts.bank_id`, which names the bank, not the customer.
* FtM 4 has no account `holder` property: who holds an account is an
  Ownership whose asset is the BankAccount. Such ownerships also become
  `account_holders` rows (role "holder").
* A BankAccount with an IBAN is keyed by the IBAN alone, as camt053 keys it, so
  both readers give one account one key; otherwise by bank (BIC, else bank
  name) and account number, else by its entity id.
* A column holds a property's first value; further values stay in `properties`.
  Tables without a `properties` column (accounts, transactions, relationships,
  addresses) keep only the mapped properties.
* Payments need one date, one amount and one currency; entities whose values
  FtM refuses (a bad date, an IBAN with a wrong checksum, a reference to a
  malformed id) are refused whole, so no fact is stored half-read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, NamedTuple

import pyarrow as pa
from followthemoney import EntityProxy, Property, Schema, model, registry
from followthemoney.exc import InvalidData

from moneytrail.ingest._codes import ISO_CURRENCIES
from moneytrail.ingest._context import LoadContext
from moneytrail.privacy import account_key, mask

# Special-category data (origin, religion, politics) and its proxies: birth
# place and country, language, physical description. Investigations match
# people on names, dates and identifiers; these would only invite profiling.
PROTECTED: frozenset[str] = frozenset(
    {
        "nationality", "citizenship", "ethnicity", "religion", "political",
        "birthPlace", "birthCountry", "spokenLanguage",
        "appearance", "eyeColor", "hairColor", "height", "weight",
    }
)  # fmt: skip
# For a person, "country" and its kin mostly restate nationality (sanctions
# lists fill it from the passport); for an organisation they are its registry.
PERSON_PROTECTED: frozenset[str] = frozenset({"country", "mainCountry", "jurisdiction"})

RELATIONSHIP_SCHEMAS: tuple[str, ...] = (
    "Ownership", "Directorship", "Employment", "Membership", "Representation", "Family",
    "Associate",
)  # fmt: skip
_MAPPED: tuple[str, ...] = (
    "LegalEntity", "BankAccount", "Payment", "Address", "RealEstate", "Vehicle",
    *RELATIONSHIP_SCHEMAS,
)  # fmt: skip
_MAX_AMOUNT = Decimal(10) ** 30  # DECIMAL(38,8) keeps 30 integer digits


class Problem(NamedTuple):
    """Why an entity is refused: quarantine field, reason, value shown."""

    field: str
    reason: str
    original: str | None = None


def get_schema(name: str) -> Schema | None:
    return model.get(name)


def valid_id(entity_id: str) -> bool:
    return registry.entity.REGEX.match(entity_id) is not None


def is_mapped(schema: Schema) -> bool:
    return _mapped_as(schema.name) is not None


@cache
def _mapped_as(schema_name: str) -> str | None:
    """The first of _MAPPED the schema is a kind of (Company is also an Asset)."""
    schema = model[schema_name]
    return next((name for name in _MAPPED if schema.is_a(name)), None)


def _protected(schema: Schema, name: str) -> bool:
    return name in PROTECTED or (name in PERSON_PROTECTED and schema.is_a("Person"))


def scheme_of(prop: Property) -> str:
    """Identifier scheme: FtM's own format (iban, ssn, lei, ...) or the property's noun."""
    if prop.name == "accountNumber":
        return "account_number"  # "account" is the account token of bank and number
    if prop.format:
        return prop.format
    for suffix in ("Number", "Code", "Id"):
        if prop.name.endswith(suffix) and prop.name != suffix.lower():
            return prop.name.removesuffix(suffix).lower()
    return prop.name.lower()


def shown(prop: Property, value: str) -> str:
    """A value fit for a quarantine record: identifiers masked."""
    return mask(value, scheme_of(prop)) if prop.type == registry.identifier else value


def clean(schema: Schema, entity_id: str, raw: dict[str, Any]) -> dict[str, list[str]] | Problem:
    """Properties validated and normalised by FtM, protected traits dropped."""
    out: dict[str, list[str]] = {}
    for name, values in raw.items():
        if _protected(schema, name):
            continue
        prop = schema.properties.get(name)
        if prop is None:
            shown_name = name if len(name) <= 64 else name[:64] + "..."
            return Problem(
                f"properties.{shown_name}",
                f"{schema.name} has no property {shown_name!r} in FollowTheMoney",
            )
        field = f"properties.{name}"
        if prop.stub:
            return Problem(
                field, f"{name!r} is a reverse property; FtM sets it on the other entity"
            )
        items = values if isinstance(values, list) else [values]
        cleaned: list[str] = []
        for value in items:
            result = _clean_value(prop, entity_id, value)
            if isinstance(result, Problem):
                return result
            if result is not None and result not in cleaned:
                cleaned.append(result)
        if cleaned:
            out[name] = cleaned
    return out


def _clean_value(prop: Property, entity_id: str, value: object) -> str | Problem | None:
    field = f"properties.{prop.name}"
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        kind = "nested data" if isinstance(value, dict | list) else type(value).__name__
        return Problem(field, f"values must be strings, found {kind}")
    text = str(value)
    if not text.strip():
        return None
    reason = _precheck(prop, entity_id, text)
    if reason is None:
        if prop.type == registry.date and text.endswith("Z"):
            # prefixdate drops the seconds of "...:12Z" but keeps those of "...:12+00:00".
            text = text[:-1] + "+00:00"
        try:
            result = prop.type.clean(text, format=prop.format)
        except InvalidData:  # FtM's message may quote the value, an identifier perhaps
            result = None
        if result is not None:
            return result
        reason = _invalid(prop)
    return Problem(field, reason, shown(prop, text))


def _precheck(prop: Property, entity_id: str, text: str) -> str | None:
    if len(text) > prop.max_length:
        return (
            f"value is {len(text)} characters long; FtM allows at most {prop.max_length} "
            f"for a {prop.type.name}"
        )
    if "\x00" in text:
        return "value contains a NUL character"
    if prop.type == registry.entity and text == entity_id:
        return "the entity refers to itself"
    return None


def _invalid(prop: Property) -> str:
    if prop.type == registry.date:
        return "not a date FtM reads (ISO 8601, possibly partial: 2021, 2021-03, 2021-03-15T10:30)"
    if prop.type == registry.entity:
        return "not an entity id (letters, digits, '.' and '-')"
    if prop.format:
        return f"not a valid {prop.format.upper()}"
    return f"not a valid {prop.type.name}"


def merge(
    ctx: LoadContext, entity_id: str, rows: list[int], datas: list[str]
) -> tuple[EntityProxy, list[int]]:
    """One entity from the lines sharing an id; lines FtM cannot merge are quarantined."""
    proxy = _proxy(entity_id, datas[0])
    merged = [rows[0]]
    for row, data in zip(rows[1:], datas[1:], strict=True):
        other = _proxy(entity_id, data)
        try:
            proxy.merge(other)
        except InvalidData:
            ctx.quarantine(
                row,
                "schema",
                f"id {entity_id!r} is a {proxy.schema.name} on line {rows[0]}; "
                f"FtM cannot merge a {other.schema.name} into it",
                other.schema.name,
            )
            continue
        merged.append(row)
    for name in list(proxy.properties):
        if _protected(proxy.schema, name):
            proxy.pop(name)
    return proxy, merged


def _proxy(entity_id: str, data: str) -> EntityProxy:
    parsed = json.loads(data)
    return model.get_proxy({"id": entity_id, **parsed}, cleaned=True)


# ---- canonical rows ------------------------------------------------------------------

_JSON_OUT = json.JSONEncoder(ensure_ascii=False, sort_keys=True)

_DEC = pa.decimal128(38, 8)
_TYPES = {"source_row": pa.int64(), "account_key": pa.int64(), "amount": _DEC, "value": _DEC,
          "ts": pa.timestamp("us")}  # fmt: skip
_SQL_TYPES = {pa.int64(): "BIGINT", _DEC: "DECIMAL(38,8)", pa.timestamp("us"): "TIMESTAMP"}

# Tables written batch by batch; names starting with "_" are TEMP staging tables
# finished at the end of the file, when every account id in it is known.
COLUMNS: dict[str, tuple[str, ...]] = {
    "parties": ("party_id", "kind", "name", "alias", "birth_date", "incorporation_date",
                "jurisdiction", "address", "registration_token", "tax_token", "properties"),
    "relationships": ("rel_id", "kind", "subject_id", "object_id", "role", "share",
                      "start_date", "end_date"),
    "addresses": ("address_id", "one_line", "street", "postal_code", "city", "region", "country"),
    "assets": ("asset_id", "kind", "description", "address", "registration_token", "value",
               "currency", "properties"),
    "identifiers": ("record_id", "scheme", "token", "masked"),
    "_ftm_accounts": ("account_key", "account_token", "bank_id", "masked", "currency", "record_id"),
    "_ftm_txn": ("txn_id", "ts", "amount", "currency", "reference", "description", "from_party",
                 "to_party", "payer_account", "beneficiary_account"),
}  # fmt: skip


def _names(table: str) -> tuple[str, ...]:
    return (*COLUMNS[table], "source_row")


def create_staging(ctx: LoadContext) -> None:
    for table in COLUMNS:
        if table.startswith("_"):
            cols = ", ".join(f"{c} {_SQL_TYPES.get(_TYPES.get(c, pa.string()), 'VARCHAR')}"
                             for c in _names(table))  # fmt: skip
            ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({cols})")


class Sink:
    """Rows waiting for the next batch insert, and the vault entries behind their tokens."""

    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.rows: dict[str, list[tuple[object, ...]]] = {t: [] for t in COLUMNS}
        self.vault: list[tuple[str, str, str]] = []

    def add(self, table: str, row: int, *values: object) -> None:
        self.rows[table].append((*values, row))

    def token(self, record_id: str, row: int, scheme: str, raw: str) -> str:
        tok = self.ctx.tokeniser.token(scheme, raw)
        self.add("identifiers", row, record_id, scheme, tok, mask(raw, scheme))
        self.vault.append((tok, scheme, raw))
        return tok

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if not rows:
                continue
            names = _names(table)
            batch = pa.table(
                {n: pa.array(col, _TYPES.get(n, pa.string()))
                 for n, col in zip(names, zip(*rows, strict=True), strict=True)}
            )  # fmt: skip
            cols = ", ".join(names)
            if table.startswith("_"):
                sql = f"INSERT INTO {table} SELECT {cols} FROM _ftm_batch"
            else:
                sql = f"INSERT INTO {table} ({cols}, source_id) SELECT {cols}, $sid FROM _ftm_batch"
            self.ctx.append("_ftm_batch", batch, sql)
            rows.clear()
        self.ctx.vault.store(self.ctx.con, self.vault)
        self.vault.clear()


class _Props:
    """An entity's values, consumed column by column; what is left becomes JSON."""

    def __init__(self, proxy: EntityProxy) -> None:
        self.schema = proxy.schema
        self.values = proxy.properties

    def first(self, name: str) -> str | None:
        values = self.values.get(name)
        if not values:
            return None
        value = values.pop(0)
        if not values:
            del self.values[name]
        return value

    def take(self, name: str) -> list[str]:
        return self.values.pop(name, [])

    def peek(self, name: str) -> str | None:
        values = self.values.get(name)
        return values[0] if values else None

    def tokens(self, sink: Sink, record_id: str, row: int) -> dict[str, list[str]]:
        """Tokenise and remove every identifier-typed property."""
        out: dict[str, list[str]] = {}
        for name in list(self.values):
            prop = self.schema.properties[name]
            if prop.type == registry.identifier:
                scheme = scheme_of(prop)
                out[name] = [sink.token(record_id, row, scheme, v) for v in self.take(name)]
        return out

    def json(self) -> str | None:
        return _JSON_OUT.encode(self.values) if self.values else None


def _first(tokens: dict[str, list[str]], *names: str) -> str | None:
    """The first token of the first of `names` that has one."""
    for name in names:
        if tokens.get(name):
            return tokens[name][0]
    return None


def map_entity(proxy: EntityProxy, row: int, sink: Sink) -> Problem | None:
    """Add the entity's rows to `sink`, or say why it cannot be stored."""
    name = _mapped_as(proxy.schema.name)
    if name is None:  # a merge can only make a schema more specific, so never here
        return Problem("schema", f"schema {proxy.schema.name} is not used by moneytrail")
    return _MAPPERS.get(name, _relationship)(proxy, row, sink)


def _party(proxy: EntityProxy, row: int, sink: Sink) -> Problem | None:
    p, eid, schema = _Props(proxy), str(proxy.id), proxy.schema
    names = p.take("name")
    name = proxy.caption if names else None
    if name is None and schema.is_a("Person"):
        parts = [p.peek(n) for n in ("firstName", "middleName", "lastName")]
        name = " ".join(x for x in parts if x) or None
    aliases = [n for n in names if n != name] + p.take("alias")
    kind = next(k for s, k in _PARTY_KINDS if schema.is_a(s))
    tokens = p.tokens(sink, eid, row)
    sink.add(
        "parties", row, eid, kind, name, "; ".join(dict.fromkeys(aliases)) or None,
        p.first("birthDate"), p.first("incorporationDate"),
        p.first("jurisdiction") if kind == "company" else None,
        p.first("address"), _first(tokens, "registrationNumber"),
        _first(tokens, "taxNumber", "socialSecurityNumber"), p.json(),
    )  # fmt: skip
    return None


_PARTY_KINDS = (("Person", "person"), ("Company", "company"), ("Organization", "organization"),
                ("LegalEntity", "legal_entity"))  # fmt: skip


def _account(proxy: EntityProxy, row: int, sink: Sink) -> Problem | None:
    p, eid, tokeniser = _Props(proxy), str(proxy.id), sink.ctx.tokeniser
    currency = _currency(p.take("currency"), None, required=False)
    if isinstance(currency, Problem):
        return currency
    bank = p.peek("bic") or p.peek("bankName") or ""
    # As camt053 does: an IBAN names its bank, so it is tokenised without one and
    # the account keeps one key whichever bank code or name a source gives.
    accounts = [("iban", tokeniser.account_token("", v), v) for v in p.take("iban")]
    if not accounts:
        number = p.first("accountNumber") or eid
        accounts = [("account", tokeniser.account_token(bank, number), number)]
    for scheme, token, raw in accounts:
        sink.add("identifiers", row, eid, scheme, token, mask(raw))
        sink.vault.append((token, scheme, raw))
    _, token, raw = accounts[0]
    sink.add("_ftm_accounts", row, account_key(token), token, bank or None, mask(raw), currency,
             eid)  # fmt: skip
    p.tokens(sink, eid, row)  # a number beside the IBAN, the BIC
    return None


def _payment(proxy: EntityProxy, row: int, sink: Sink) -> Problem | None:
    p, eid = _Props(proxy), str(proxy.id)
    ts = _when(p, proxy.schema)
    if isinstance(ts, Problem):
        return ts
    money = _money(p)
    if isinstance(money, Problem):
        return money
    p.tokens(sink, eid, row)  # none in FtM 4's Payment; here so a later version cannot leak one
    texts = p.take("purpose") + p.take("summary") + p.take("description")
    reference = p.first("transactionNumber") or p.first("sequenceNumber") or p.first("recordId")
    sink.add(
        "_ftm_txn", row, eid, ts, *money, reference,
        "; ".join(dict.fromkeys(texts)) or None, p.first("payer"), p.first("beneficiary"),
        p.first("payerAccount"), p.first("beneficiaryAccount"),
    )  # fmt: skip
    return None


def _when(p: _Props, schema: Schema) -> datetime | Problem:
    """When a payment happened: a partial date stands for its first instant."""
    when = p.first("date") or p.first("startDate")
    if when is None:
        return Problem("properties.date", "payment has no date (date or startDate)")
    ts = registry.date.to_datetime(when)
    if ts is None:
        return Problem("properties.date", _invalid(schema.properties["date"]), when)
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo is not None else ts


def _money(p: _Props) -> tuple[Decimal, str] | Problem:
    amounts = p.take("amount")
    if len(amounts) != 1:
        reason = "payment has no amount" if not amounts else (
            f"payment has {len(amounts)} amounts; moneytrail needs exactly one")  # fmt: skip
        return Problem("properties.amount", reason, "; ".join(amounts) or None)
    amount = _amount(amounts[0])
    if isinstance(amount, Problem):
        return amount
    currency = _currency(p.take("currency"), amount[1], required=True)
    if isinstance(currency, Problem):
        return currency
    if currency is None:  # required=True never gives None
        return Problem("properties.currency", "payment has no currency")
    return amount[0], currency


def _amount(text: str, field: str = "properties.amount") -> tuple[Decimal, str | None] | Problem:
    number, unit = registry.number.parse(text)
    try:
        value = Decimal(number) if number is not None else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        return Problem(field, "not a number (digits, '.' for decimals, ',' for thousands)", text)
    if value < 0:
        return Problem(field, "amount is negative", text)
    if value >= _MAX_AMOUNT or _decimal_places(value) > 8:
        return Problem(field, "amount needs more than 30 digits or 8 decimal places", text)
    return value, unit


def _decimal_places(value: Decimal) -> int:
    """Places after the point, trailing zeros aside; exact, unlike quantize() at 28 digits."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:
        return 0
    return max(0, -exponent - (len(digits) - len(significant)))


def _currency(values: list[str], unit: str | None, *, required: bool) -> str | Problem | None:
    field = "properties.currency"
    codes = list(dict.fromkeys(v.strip().upper() for v in [*values, *([unit] if unit else [])]))
    if not codes:
        return Problem(field, "payment has no currency") if required else None
    if len(codes) > 1:
        return Problem(field, f"{len(codes)} currencies given; expected one", ", ".join(codes))
    if codes[0] not in ISO_CURRENCIES:
        return Problem(field, "not an ISO 4217 currency code (e.g. EUR, USD)", codes[0])
    return codes[0]


def _relationship(proxy: EntityProxy, row: int, sink: Sink) -> Problem | None:
    schema, eid = proxy.schema, str(proxy.id)
    source, target = schema.source_prop, schema.target_prop
    if source is None or target is None:  # every schema in RELATIONSHIP_SCHEMAS is an edge
        return Problem("schema", f"schema {schema.name} has no edge", schema.name)
    p = _Props(proxy)
    subjects, objects = p.take(source.name), p.take(target.name)
    for prop, values in ((source, subjects), (target, objects)):
        if not values:
            return Problem(f"properties.{prop.name}", f"{schema.name} has no {prop.name}")
    role = p.first("role") or p.first("relationship") or p.first("ownershipType")
    share = p.first("percentage") or p.first("sharesCount")
    start, end = p.first("startDate") or p.first("date"), p.first("endDate")
    p.tokens(sink, eid, row)
    for subject in subjects:
        for obj in objects:
            sink.add("relationships", row, eid, schema.name.lower(), subject, obj, role, share,
                     start, end)  # fmt: skip
    return None


def _address(proxy: EntityProxy, row: int, sink: Sink) -> Problem | None:
    p, eid = _Props(proxy), str(proxy.id)
    street = ", ".join(p.take("street") + p.take("street2")) or None
    postal, city = p.first("postalCode"), p.first("city")
    region, country = p.first("region") or p.first("state"), p.first("country")
    parts = [street, " ".join(x for x in (postal, city) if x), region, country]
    one_line = p.first("full") or ", ".join(x for x in parts if x) or None
    p.tokens(sink, eid, row)
    sink.add("addresses", row, eid, one_line, street, postal, city, region, country)
    return None


def _asset(proxy: EntityProxy, row: int, sink: Sink) -> Problem | None:
    p, eid = _Props(proxy), str(proxy.id)
    vehicle = proxy.schema.is_a("Vehicle")
    description = p.first("name")
    if description is None and vehicle:
        description = " ".join(x for x in (p.first("type"), p.first("model")) if x) or None
    value: Decimal | None = None
    unit: str | None = None
    amount = p.first("amount")
    if amount is not None:
        parsed = _amount(amount)
        if isinstance(parsed, Problem):
            return parsed
        value, unit = parsed
    currency = _currency(p.take("currency"), unit, required=False)
    if isinstance(currency, Problem):
        return currency
    address = p.first("address")
    tokens = p.tokens(sink, eid, row)
    registration = _first(tokens, "registrationNumber", "cadastralCode", "titleNumber")
    sink.add("assets", row, eid, "vehicle" if vehicle else "real_estate", description, address,
             registration, value, currency, p.json())  # fmt: skip
    return None


_Mapper = Callable[[EntityProxy, int, Sink], Problem | None]
_MAPPERS: dict[str, _Mapper] = {
    "LegalEntity": _party,
    "BankAccount": _account,
    "Payment": _payment,
    "Address": _address,
    "RealEstate": _asset,
    "Vehicle": _asset,
}


# ---- end of file ---------------------------------------------------------------------

# One accounts row per key: the first record of it in this file, unless an
# earlier file already has the account.
_ACCOUNTS = """
    INSERT INTO accounts (account_key, account_token, bank_id, masked, currency, record_id,
                          source_id, source_row)
    SELECT account_key, account_token, bank_id, masked, currency, record_id, $sid, source_row
    FROM _ftm_accounts n
    WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_key = n.account_key)
    QUALIFY row_number() OVER (PARTITION BY account_key ORDER BY source_row) = 1
"""
# Account entity ids referenced here, resolved against this file first, then
# against earlier files: the record ids of their accounts, else the account
# identifiers of BankAccounts whose account was already known.
_KEYS = """
    CREATE OR REPLACE TEMP TABLE _ftm_keys AS
    WITH refs AS (
        SELECT payer_account AS id FROM _ftm_txn UNION SELECT beneficiary_account FROM _ftm_txn
        UNION SELECT object_id FROM relationships WHERE source_id = $sid AND kind = 'ownership'
    ), known AS (
        SELECT record_id AS id, account_key, 0 AS source_id, 0 AS kind FROM _ftm_accounts
        UNION ALL
        SELECT record_id, account_key, source_id, 1 FROM accounts
        WHERE record_id IS NOT NULL AND source_id <> $sid
        UNION ALL
        SELECT record_id, mt_account_key(token), source_id, 2 FROM identifiers
        WHERE scheme IN ('account', 'iban') AND source_id <> $sid
    )
    SELECT id, arg_min(account_key, (source_id, kind, account_key)) AS account_key
    FROM known SEMI JOIN refs USING (id) GROUP BY id
"""
# An FtM id names one entity everywhere: a payment already loaded from another
# FtM file is the same payment, not a second one.
_LOADED = """
    CREATE OR REPLACE TEMP TABLE _ftm_loaded AS
    SELECT DISTINCT o.txn_id FROM transactions o JOIN sources s ON s.source_id = o.source_id
    WHERE s.format = 'ftm' AND o.txn_id IN (SELECT txn_id FROM _ftm_txn)
"""
# The payments of lines $lo..$hi (a chunk of the file, committed after it).
_PAYMENTS = """
    INSERT INTO transactions (txn_id, ts, from_account, to_account, amount, currency, reference,
                              description, from_party, to_party, source_id, source_row)
    SELECT t.txn_id, t.ts, fa.account_key, ta.account_key, t.amount, t.currency, t.reference,
           t.description, t.from_party, t.to_party, $sid, t.source_row
    FROM _ftm_txn t
    LEFT JOIN _ftm_keys fa ON fa.id = t.payer_account
    LEFT JOIN _ftm_keys ta ON ta.id = t.beneficiary_account
    WHERE t.source_row BETWEEN $lo AND $hi AND t.txn_id NOT IN (SELECT txn_id FROM _ftm_loaded)
"""
_HOLDERS = """
    INSERT INTO account_holders (account_key, party_id, role, source_id, source_row)
    SELECT DISTINCT k.account_key, r.subject_id, 'holder', $sid, r.source_row
    FROM relationships r JOIN _ftm_keys k ON k.id = r.object_id
    WHERE r.source_id = $sid AND r.kind = 'ownership'
"""
PAYMENT_LINES = 250_000
"""Lines of the file whose payments one INSERT writes: the load commits its rows in
chunks (warehouse._loads), and one statement's rows are one transaction's."""


def finish(ctx: LoadContext, last_row: int) -> None:
    """Write what needed the whole file: accounts, transactions, account holders."""
    con, sid = ctx.con, {"sid": ctx.source_id}
    con.execute(_ACCOUNTS, sid)
    con.execute(_KEYS, sid)
    con.execute(_LOADED)
    for lo in range(1, last_row + 1, PAYMENT_LINES):
        hi = min(lo + PAYMENT_LINES - 1, last_row)
        written = con.execute(_PAYMENTS, {**sid, "lo": lo, "hi": hi}).fetchall()
        ctx.wrote(int(written[0][0]) if written else 0)
    con.execute(_HOLDERS, sid)
    for table in (*[t for t in COLUMNS if t.startswith("_")], "_ftm_keys", "_ftm_loaded"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
