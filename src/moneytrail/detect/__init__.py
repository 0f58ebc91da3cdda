"""Detection: a typology catalogue as data, rule detectors, alerts grouped by network.

The catalogue (`typologies/catalogue.yaml`, with the employer and procurement typologies
their stages declare) gives each typology: stable id,
name, what it detects, its source (advisory and red flag), severity, the
detector that implements it and its parameters with defaults. `run_detect`
runs it over the ledger, the graph features (moneytrail.graph) and the employer
flags (moneytrail.employers), with thresholds relative to each account's own
counterparties (one-off or recurring) and to the split of its money (similar or
uneven parts) rather than counts that grow with the ledger, groups the hits into one alert per subject or
network of workable size (`_group`: hubs are not merged through, networks are capped
at `grouping.max_accounts`), grows each review alert to the accounts that carried its
money (`_grow`), and stores them in `alerts` / `alert_hits`. Parameters are
changed without code through a workspace `typologies.yaml` or `ID.PARAM=VALUE`
overrides. `evaluate` compares the alerts with a synthetic world's truth.
`train` / `score` are the supervised scorer (LightGBM on the mined features,
parameters, threshold and calibration chosen on a validation slice, per-feature
contributions as the explanation).
"""

from moneytrail.detect._catalogue import Parameter, Typology, load_catalogue, resolve_params
from moneytrail.detect._detectors import DETECTORS
from moneytrail.detect._evaluate import evaluate
from moneytrail.detect._group import Alert, Grouping, group_hits
from moneytrail.detect._hits import Hit
from moneytrail.detect._run import USER_FILE, DetectReport, catalogue, run_detect
from moneytrail.detect._scorer import TrainReport, score, train

__all__ = [
    "DETECTORS",
    "USER_FILE",
    "Alert",
    "DetectReport",
    "Grouping",
    "Hit",
    "Parameter",
    "TrainReport",
    "Typology",
    "catalogue",
    "evaluate",
    "group_hits",
    "load_catalogue",
    "resolve_params",
    "run_detect",
    "score",
    "train",
]
