"""The small world of the API tests (every pipeline stage on a generated world)."""

from tests.api.conftest import world_workspace

__all__ = ["world_workspace"]
