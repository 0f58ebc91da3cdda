"""Contract oversight: OCDS procurement data, Cardinal's red flags, and links to the money graph.

- `indicators(releases, settings)` / `CardinalRun`: the Open Contracting
  Partnership's Cardinal indicators, with its settings file (`read_settings`).
- `compiled_releases(stream)`: compiled releases from release packages, record
  packages or JSON lines of releases, merged with ocdsmerge. `moneytrail ingest`
  stores them in the ocds_* tables (reader `ocds`).
- `find(warehouse)`: the procurement typologies beyond Cardinal (`CATALOGUE`),
  stored in `contract_findings`.
"""

from moneytrail.contracts._cardinal import CardinalRun, indicators
from moneytrail.contracts._find import Finding
from moneytrail.contracts._ocds import compiled_releases
from moneytrail.contracts._settings import CODES, Settings, parse_settings, read_settings
from moneytrail.contracts._stage import find, stored_findings
from moneytrail.contracts._typologies import CATALOGUE, Typology

__all__ = [
    "CATALOGUE",
    "CODES",
    "CardinalRun",
    "Finding",
    "Settings",
    "Typology",
    "compiled_releases",
    "find",
    "indicators",
    "parse_settings",
    "read_settings",
    "stored_findings",
]
