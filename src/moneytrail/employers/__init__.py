"""Employer analytics: illegal hiring, employment-tax fraud, labour exploitation.

The subject is always the employer. Checks (`CHECKS`, typed definitions with
codes, sources, parameters and severities) read the payroll filings loaded by
the efw2 and form941 readers and, where present, bank transactions and entity
resolution; each flag carries evidence (record and transaction ids) and a
reason in words. Workers are protected: they are never scored or labelled, and
appear only as masked numbers and record ids.
"""

from moneytrail.employers._defs import CHECKS, Check, Parameter
from moneytrail.employers._flag import Flag
from moneytrail.employers._run import EmployerReport, run_checks, store_flags

__all__ = ["CHECKS", "Check", "EmployerReport", "Flag", "Parameter", "run_checks", "store_flags"]
