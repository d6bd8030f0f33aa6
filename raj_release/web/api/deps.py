"""What every API route depends on: the service context, the token's viewer, the day to act as of.

Apart from the package's __init__ so that the concept modules can import it while __init__ imports them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from pydantic import Field

from raj_release.domain.models import FIRST_DAY, LAST_DAY
from raj_release.services.access import Viewer
from raj_release.services.auth import viewer_for_token
from raj_release.services.context import Context


class Unauthorized(Exception):
    """No valid token: the app answers 401 with a WWW-Authenticate header."""


def context(request: Request) -> Context:
    return request.app.state.ctx


def viewer(request: Request, authorization: Annotated[str | None, Header()] = None) -> Viewer:
    scheme, _, token = (authorization or "").partition(" ")
    v = viewer_for_token(context(request), token.strip()) if scheme.lower() == "bearer" else None
    if v is None:
        raise Unauthorized()
    return v


# the days the project accepts (domain/models.py), in the schema too
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY)]

Ctx = Annotated[Context, Depends(context)]
Me = Annotated[Viewer, Depends(viewer)]
AsOf = Annotated[Day | None, Query(description="The day to act as of (YYYY-MM-DD, 1990 to 2100); default today, "
                                                "Brussels.")]


def today(ctx: Context, as_of: dt.date | None) -> dt.date:
    return as_of if as_of is not None else ctx.local_today()
