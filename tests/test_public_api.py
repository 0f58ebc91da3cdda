from __future__ import annotations

import inspect

import moneytrail
from moneytrail import errors


def test_all_lists_exactly_the_public_names() -> None:
    # dir(): names such as Warehouse are imported on first use (see moneytrail._LAZY)
    public = {
        n
        for n in dir(moneytrail)
        if not n.startswith("_") and not inspect.ismodule(getattr(moneytrail, n))
    }
    assert public == set(moneytrail.__all__) - {"__version__"}


def test_every_error_class_is_exported_and_documented() -> None:
    classes = {
        n
        for n, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, errors.MoneytrailError)
    }
    assert classes <= set(moneytrail.__all__)
    for name in classes:
        assert name in (errors.__doc__ or ""), f"{name} missing from the tree in errors.py"
