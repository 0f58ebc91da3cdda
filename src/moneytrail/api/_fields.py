"""Field types shared by request bodies and parameters.

Text is bounded and may not hold NUL: PostgreSQL refuses NUL in text, and a
request should be refused with a 422 that says so, not fail inside the store.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import StringConstraints

_NO_NUL = r"^[^\x00]*$"

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NO_NUL)]
Text = Annotated[str, StringConstraints(max_length=20_000, pattern=_NO_NUL)]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=_NO_NUL)]

_INT32 = 2**31 - 1
CaseId = Annotated[int, Path(ge=1, le=_INT32, description="The case's number.")]
TaskId = Annotated[int, Path(ge=1, le=_INT32, description="The task's number.")]
AlertId = Annotated[
    str, Path(min_length=1, max_length=200, pattern=_NO_NUL, description="alerts.alert_id.")
]
