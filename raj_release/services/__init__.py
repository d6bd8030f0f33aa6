"""Use cases, one transaction each: the only place that joins the pure core and the store."""

from raj_release.services.context import Context, open_context

__all__ = ["Context", "open_context"]
