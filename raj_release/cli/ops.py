"""Running the service: `raj init`, `raj serve` (the schedules), `raj web` and `raj config check`."""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import LANG
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
          port: Annotated[int, typer.Option(help="Port of the local Prefect server (and its UI).")] = 4200) -> None:
    """Run the daily sweep, outbox retries and weekly report on their schedules, on this machine."""
    from flows.serve import run  # at call time: it brings Prefect, seconds to import

    shell.context()  # refuses a database that `raj init` has not made, before a server starts
    run(host, port, Path("var"), print_fn=render.out.print)


def web(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000) -> None:
    """Serve the web workspace (/login, /week, /dashboard ...), the JSON API (/api, OpenAPI at /api/docs)
    and the calendar feeds."""
    import uvicorn  # at call time: uvicorn and the web app would slow raj --help

    from raj_release.services.feeds import warm_feeds  # at call time: the services would slow raj --help
    from raj_release.web.app import create_app  # at call time: FastAPI would slow raj --help

    ctx = shell.context()
    app = create_app(ctx)
    # what is loaded by now (libraries, configuration, calendar) lives as long as the server: kept out of
    # the garbage collector's full passes, which would otherwise walk it again and again under load
    gc.collect()
    gc.freeze()
    # the calendar clients come back soon after a restart: have their feeds' components ready by then
    threading.Thread(target=warm_feeds, args=(ctx,), name="raj-warm-feeds", daemon=True).start()
    render.out.print(tr(LANG, "raj-release: http://{host}:{port}/ (API: /api/docs; Ctrl-C to stop)").format(
        host=host, port=port))
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def config_check() -> None:
    """Validate every file of the configuration folder."""
    from raj_release.config import load_config  # at call time: YAML and the holidays would slow raj --help
    from raj_release.settings import get_settings  # at call time: pydantic-settings would slow raj --help

    cfg = load_config(get_settings().config_dir.resolve())
    render.out.print(tr(LANG, "{directory}: {templates} démarches, {prisons} prisons: OK").format(
        directory=cfg.directory, templates=len(cfg.templates), prisons=len(cfg.prisons)))
