"""What every API route depends on: the service context, the token's viewer, the day to act as of.

Apart from the package's __init__ so that the concept modules can import it while __init__ imports them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from raj_release.domain.models import parse_date
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


Ctx = Annotated[Context, Depends(context)]
Me = Annotated[Viewer, Depends(viewer)]
AsOf = Annotated[str | None, Query(description="The day to act as of (YYYY-MM-DD); default today, Brussels.")]


def today(ctx: Context, as_of: str | None) -> dt.date:
    return parse_date(as_of, "as_of") if as_of is not None else ctx.local_today()
