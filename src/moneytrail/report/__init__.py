"""Filings, exports and the case report, all made from one access-checked `CaseDossier`."""

from moneytrail.report._collect import collect_case
from moneytrail.report._dossier import CaseDossier

__all__ = ["CaseDossier", "collect_case"]
