"""/api/persons: the file active in one's scope (search, filters, sort, counts, a page); /api/caseloads: each
worker's caseload, for coordinators (403 for other roles)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from raj_release.domain.enums import Situation, Stage
from raj_release.services.caseload import (
    MAX_HEARING_DAYS,
    MAX_PER_PAGE,
    PER_PAGE,
    CaseloadRow,
    PersonList,
    caseloads,
    list_persons,
)
from raj_release.web.api.deps import AsOf, Ctx, Me, today

router = APIRouter()

Sort = Literal["next-due", "overdue", "hearing", "ref"]


@router.get("/persons", summary="The file active one may see: one page, with how many match in each stage",
            response_model=PersonList)
def persons(ctx: Ctx, v: Me, as_of: AsOf = None,
            search: Annotated[str | None, Query(max_length=40, description="part of the reference, any case")] = None,
            stage: Stage | None = None,
            prison: Annotated[str | None, Query(max_length=40, description="a prison code, or 'outside'")] = None,
            situation: Situation | None = None,
            worker: Annotated[str | None, Query(max_length=40, description="files of this worker's binômes")] = None,
            overdue: Annotated[bool, Query(description="only files with overdue démarches")] = False,
            hearing_within: Annotated[int | None, Query(ge=0, le=MAX_HEARING_DAYS,
                                                        description="only files with a hearing within N days")] = None,
            closed: Annotated[bool, Query(description="list closed files with the others")] = False,
            sort: Sort = "next-due",
            page: Annotated[int, Query(ge=1, le=1_000_000, description="a page past the end shows the last")] = 1,
            per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = PER_PAGE) -> PersonList:
    return list_persons(ctx, today=today(ctx, as_of), viewer=v, search=search, stage=stage, prison=prison,
                        situation=situation, worker=worker, overdue=overdue, hearing_within=hearing_within,
                        closed=closed, sort=sort, page=page, per_page=per_page)


@router.get("/caseloads", summary="Each worker's open files, overdue démarches and hearings within 60 days "
                                  "(coordinators; 403 for other roles)", response_model=list[CaseloadRow])
def caseload(ctx: Ctx, v: Me, as_of: AsOf = None) -> list[CaseloadRow]:
    return caseloads(ctx, v, today=today(ctx, as_of))
