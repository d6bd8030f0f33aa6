"""Running the service: `raj init`, `raj serve` (the schedules), `raj web` and `raj config check`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import LANG
from raj_release.domain.models import parse_date
from raj_release.i18n import tr


def init(org: Annotated[str | None, typer.Option(help="Code of the organisation to create.")] = None,
         org_name: Annotated[str | None, typer.Option(help="Its name.")] = None) -> None:
    """Create or upgrade the database schema and the organisation."""
    from raj_release.services.workers import check_organisation, ensure_organisation  # at call time: slows --help
    from raj_release.store.migrate import upgrade  # at call time: alembic would slow raj --help

    ctx = shell.context(need_schema=False)
    check_organisation(org or ctx.settings.organisation, org_name or ctx.settings.organisation_name)
    upgrade(ctx.db)
    o = ensure_organisation(ctx, org, org_name, actor=shell.actor())
    render.out.print(tr(LANG, "Database ready: {url} (organisation {org})").format(url=ctx.db.display_url,
                                                                                  org=o.code))


def serve(host: Annotated[str, typer.Option(help="Address of the local Prefect server.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port of the local Prefect server (and its UI).")] = 4200,
          ui: Annotated[bool, typer.Option("--ui/--no-ui", help="Serve Prefect's UI (its files under "
                                                                "var/prefect/ui, never in the virtualenv).")] = True
          ) -> None:
    """Run the daily sweep, outbox retries and weekly report on their schedules, on this machine."""
    from flows.serve import run  # at call time: it brings Prefect, seconds to import

    shell.context()  # refuses a database that `raj init` has not made, before a server starts
    run(host, port, Path("var"), print_fn=render.out.print, ui=ui)


def web(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
        behind_https: Annotated[bool, typer.Option(
            "--behind-https", help="Served over HTTPS by a reverse proxy: Secure cookies and HSTS "
                                   "(as RAJ_SECURE_COOKIES=1).")] = False,
        today: Annotated[str | None, typer.Option(
            "--today", help="Show the plans as of this day (YYYY-MM-DD; as RAJ_TODAY): a demo dated in the past "
                            "shows the same day as the command line.")] = None,
        workers: Annotated[int, typer.Option(
            "--workers", min=1, help="Processes serving the workspace (PostgreSQL: sessions, logins and feeds "
                                     "are kept in the database, so any process answers any request).")] = 1
        ) -> None:
    """Serve the web workspace (/login, /week, /dashboard ...), the JSON API (/api, OpenAPI at /api/docs)
    and the calendar feeds."""
    import uvicorn  # at call time: uvicorn would slow raj --help

    shell.context()  # refuses a database that `raj init` has not made, before the server starts
    if today is not None:
        os.environ["RAJ_TODAY"] = parse_date(today, "--today").isoformat()  # read by the app's factory
    if behind_https:
        os.environ["RAJ_SECURE_COOKIES"] = "1"  # read by the app's factory, in this process
    render.out.print(tr(LANG, "raj-release: http://{host}:{port}/ (API: /api/docs; Ctrl-C to stop)").format(
        host=host, port=port))
    # the app by its import string: the command line does not import the web layer (pyproject.toml's
    # contract); proxy headers are the app's to believe (RAJ_TRUSTED_PROXIES), not uvicorn's; no banner
    uvicorn.run("raj_release.web.app:served_app", factory=True, host=host, port=port, log_level="warning",
                access_log=False, proxy_headers=False, server_header=False, workers=workers)


def config_check() -> None:
    """Validate every file of the configuration folder."""
    from raj_release.config import load_config  # at call time: YAML and the holidays would slow raj --help
    from raj_release.settings import get_settings  # at call time: pydantic-settings would slow raj --help

    cfg = load_config(get_settings().config_dir.resolve())
    render.out.print(tr(LANG, "{directory}: {templates} démarches, {prisons} prisons: OK").format(
        directory=cfg.directory, templates=len(cfg.templates), prisons=len(cfg.prisons)))
