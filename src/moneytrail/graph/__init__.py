"""Money-flow graph arrays and pattern-mining kernels.

Build a `Graph` from the warehouse (`load_graph`) or from columns
(`build_graph`), mine per-transaction pattern features at several time scales
(`mine_txn_features`) and per-account statistics (`account_features`), and
store them in the `txn_features` and `account_features` tables
(`mine_into_warehouse`). Feature definitions are in `_features` and `_accounts`;
`reference_txn_features` is the brute-force oracle the kernels are tested
against, and `gfp_histograms` turns fan and degree counts into the binned form
of IBM's Graph Feature Preprocessor.
"""

from moneytrail.graph._accounts import ACCOUNT_FEATURES, account_features
from moneytrail.graph._arrays import Graph, build_graph
from moneytrail.graph._features import TXN_FEATURES, features_table, mine_txn_features
from moneytrail.graph._histogram import DEFAULT_BINS, gfp_histograms
from moneytrail.graph._params import DAY, HOUR, PATTERNS, WEEK, FeatureParams
from moneytrail.graph._reference import reference_txn_features
from moneytrail.graph._store import MiningReport, load_graph, mine_into_warehouse

__all__ = [
    "ACCOUNT_FEATURES",
    "DAY",
    "DEFAULT_BINS",
    "HOUR",
    "PATTERNS",
    "TXN_FEATURES",
    "WEEK",
    "FeatureParams",
    "Graph",
    "MiningReport",
    "account_features",
    "build_graph",
    "features_table",
    "gfp_histograms",
    "load_graph",
    "mine_into_warehouse",
    "mine_txn_features",
    "reference_txn_features",
]
