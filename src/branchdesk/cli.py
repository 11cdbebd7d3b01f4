"""``branchdesk serve | worker | migrate | tenants … | staff … | export-schema | demo``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from branchdesk.access.unit_of_work import system_work
from branchdesk.platform.errors import DomainError, InvalidInput
from branchdesk.platform.logging import configure_logging
from branchdesk.platform.settings import get_settings
from branchdesk.runtime import Runtime, runtime

app = typer.Typer(help="Branchdesk: the platform for the people who work in bank branches.", no_args_is_help=True)
tenants_app = typer.Typer(help="Head office and branches.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff identities.", no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
app.add_typer(staff_app, name="staff")
T = TypeVar("T")


def _run(work: Callable[[Runtime], Awaitable[T]], *, migrate: bool | None = None) -> T:
    """Run against the configured (or embedded) servers; development migrates first."""
    settings = get_settings()
    migrate = (not settings.is_production) if migrate is None else migrate

    async def main() -> T:
        async with runtime(settings, run_migrations=migrate) as rt:
            return await work(rt)

    try:
        return asyncio.run(main())
    except InvalidInput as exc:
        _fail(exc.errors)
    except DomainError as exc:
        _fail([exc])


def _fail(errors: list[DomainError]) -> NoReturn:
    for error in errors:
        typer.secho(f"{error.code} [{error.field or '-'}]: {error.message()}", err=True, fg="red")
    raise typer.Exit(2)


WORKER_HEALTHCHECK_SECONDS = 60


@app.command()
def serve(
    host: str = typer.Option(None, help="Defaults to BRANCHDESK_HOST (127.0.0.1)."),
    port: int = typer.Option(None, help="Defaults to BRANCHDESK_PORT (8000)."),
    demo: bool = typer.Option(None, help="Seed the demo data at start (default: in development)."),
    workers: int = typer.Option(
        None, min=1, help="API processes (default: the cores in production, 1 in development)."
    ),
) -> None:
    """Start the API (and, in development, the worker) on the configured or embedded servers."""
    import os

    import uvicorn

    from branchdesk.api import create_app

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    seed = (not settings.is_production) if demo is None else demo
    workers = workers or ((os.cpu_count() or 1) if settings.is_production else 1)
    if workers > 1 and settings.embedded:
        raise typer.BadParameter(
            "the embedded servers serve one process: configure BRANCHDESK_DATABASE_URL and "
            "BRANCHDESK_REDIS_URL to run several",
            param_hint="--workers",
        )
    if workers > 1 and settings.run_worker_in_process:
        raise typer.BadParameter(
            "the in-process job worker runs in one process only: set BRANCHDESK_WORKER_IN_PROCESS=false and run "
            "`branchdesk worker` beside the API",
            param_hint="--workers",
        )
    configure_logging(json=settings.is_production)
    if not settings.is_production:
        from branchdesk.demo import DEMO_PASSWORD

        typer.secho(f"GraphiQL: http://{host}:{port}/graphql", fg="green", err=True)
        typer.secho(
            f'Sign in: mutation {{ signIn(input: {{employeeNumber: "H0001", password: "{DEMO_PASSWORD}"}}) '
            "{ accessToken } } — then send 'Authorization: Bearer <token>' and 'X-Branch: 0000'",
            fg="green",
            err=True,
        )
    if workers == 1:
        uvicorn.run(create_app(settings, seed_demo=seed), host=host, port=port, log_config=None, access_log=False)
        return
    if seed:  # once, before the processes start
        from branchdesk.demo import seed as seed_demo

        _run(seed_demo)
    uvicorn.run(
        "branchdesk.api:create_app",
        factory=True,
        workers=workers,
        # A worker answers the supervisor's health check only once it has imported the app and built the
        # schema: several seconds on a busy machine, where uvicorn's 5 s default kills and restarts it forever.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
    )


@app.command()
def worker() -> None:
    """Run the ARQ worker, its cron schedule and the outbox relay."""
    from branchdesk.jobs.worker import run_worker

    configure_logging(json=get_settings().is_production)
    _run(run_worker)


@app.command()
def migrate() -> None:
    """Create the database roles and bring the schema to the latest revision."""
    _run(lambda rt: asyncio.sleep(0), migrate=True)
    typer.echo("database is at the latest revision")


@app.command("rotate-db-password")
def rotate_db_password() -> None:
    """Give this deployment's database roles the password now in BRANCHDESK_DB_ROLE_PASSWORD.

    Set the new password where the service reads its settings, run this, then restart the service;
    migrate never changes the password of a role that exists already."""
    from branchdesk.platform import migrate as migrations
    from branchdesk.platform.roles import RoleConflict
    from branchdesk.runtime import endpoints

    settings = get_settings()
    where = endpoints(settings)
    try:
        migrations.rotate_role_passwords(
            where.admin_url, settings.db_role_password.get_secret_value(), roles=where.roles
        )
    except RoleConflict as exc:
        typer.secho(str(exc), err=True, fg="red")
        raise typer.Exit(2) from exc
    finally:
        if where.embedded is not None:
            where.embedded.stop()
    typer.echo(f"new password set for {where.roles.app} and {where.roles.platform}")


@app.command()
def demo() -> None:
    """Create (or complete) the demo head office, branches and staff."""
    from branchdesk.demo import seed

    _run(seed, migrate=True)
    typer.echo("demo data ready")


@app.command("export-schema")
def export_schema(
    output: Path = typer.Option(Path("schema.graphql"), help="Where to write the SDL; - for stdout."),
) -> None:
    """Write the GraphQL schema (SDL), and beside a file the error-code page (docs/error-codes.md)."""
    from branchdesk.graphql.errors import error_codes_page
    from branchdesk.graphql.schema import export_sdl

    sdl = export_sdl()
    if str(output) == "-":
        typer.echo(sdl, nl=False)
    else:
        output.write_text(sdl)
        typer.echo(f"wrote {output}")
        page = output.parent / "docs" / "error-codes.md"
        page.write_text(error_codes_page())
        typer.echo(f"wrote {page}")


@app.command("export-citus")
def export_citus(
    output: Path = typer.Option(Path("infra/citus/distribute.sql"), help="Where to write it; - for stdout."),
) -> None:
    """Write the Citus distribution script (distributed and reference tables) for the current schema."""
    from branchdesk.models import metadata
    from branchdesk.platform.citus import distribution_sql

    sql = distribution_sql(metadata)
    if str(output) == "-":
        typer.echo(sql, nl=False)
    else:
        output.write_text(sql)
        typer.echo(f"wrote {output}")


@tenants_app.command("create")
def tenants_create(
    code: str = typer.Option(...),
    name: str = typer.Option(...),
    level: str = typer.Option("outlet", help="head_office | tier1_branch | sub_branch | outlet"),
    parent: str = typer.Option(None, help="Parent branch code."),
    timezone: str = typer.Option("Asia/Shanghai"),
    head_employee_number: str = typer.Option(..., "--head"),
    head_name: str = typer.Option(..., "--head-name"),
    head_email: str = typer.Option(None, "--head-email"),
) -> None:
    """Onboard a branch (idempotent by code)."""
    from branchdesk.onboarding import service as onboarding
    from branchdesk.tenants import service
    from branchdesk.tenants.models import BranchLevel

    draft = service.BranchDraft(
        code=code,
        name=name,
        level=BranchLevel(level),
        parent_code=parent,
        timezone=timezone,
        head=service.StaffDraft(head_employee_number, head_name, head_email),
    )

    async def work(rt: Runtime) -> onboarding.Onboarded:
        async with system_work(rt.db, "cli") as (session, cli):
            return await onboarding.onboard_branch(session, cli, draft, rt.settings.activation_code_ttl_seconds)

    result = _run(work)
    typer.echo(f"{'created' if result.created else 'already onboarded'}: {result.branch.code} {result.branch.name}")
    if result.activation is not None:
        issued = result.activation
        typer.echo(f"activation code for the branch head {result.head.employee_number}: {issued.code}")
        typer.echo(f"single use, valid until {issued.expires_at.isoformat(timespec='minutes')}")


@tenants_app.command("list")
def tenants_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List branches."""
    from branchdesk.tenants import service
    from branchdesk.tenants.models import Branch

    async def work(rt: Runtime) -> list[Branch]:
        async with rt.db.session(None) as session:
            return await service.all_branches(session)

    branches = _run(work)
    if as_json:
        rows = [{"code": b.code, "name": b.name, "level": b.level.value, "status": b.status.value} for b in branches]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for b in branches:
        typer.echo(f"{b.code:<8} {b.level.value:<13} {b.status.value:<10} {b.name}")


def _set_status(code: str, status: str, reason: str | None) -> None:
    from branchdesk.tenants import service
    from branchdesk.tenants.models import BranchStatus

    async def work(rt: Runtime) -> Any:
        async with system_work(rt.db, "cli") as (session, cli):
            return await service.set_branch_status(session, cli, code, BranchStatus(status), reason)

    branch = _run(work)
    typer.echo(f"{branch.code} is {branch.status.value}")


@tenants_app.command("suspend")
def tenants_suspend(code: str, reason: str = typer.Option(None)) -> None:
    """Suspend a branch: its staff can no longer act in it."""
    _set_status(code, "suspended", reason)


@tenants_app.command("reactivate")
def tenants_reactivate(code: str) -> None:
    """Reactivate a suspended branch."""
    _set_status(code, "active", None)


@staff_app.command("set-password")
def staff_set_password(
    employee_number: str, password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)
) -> None:
    """Set a staff member's password (the password rules apply; clears a lockout, ends every session and
    voids an outstanding activation code). Prefer `activation-code`: then nobody else knows the password."""
    from branchdesk.credentials import service as credentials

    async def work(rt: Runtime) -> None:
        async with system_work(rt.db, "cli") as (session, cli):
            await credentials.set_password(session, cli, employee_number, password)

    _run(work)
    typer.echo("password set")


calendar_app = typer.Typer(help="The head-office holiday calendar.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("load")
def calendar_load(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)) -> None:
    """Create or replace holiday entries from a CSV file (date,kind,region,name_zh,name_en): all or nothing;
    loading the same file again changes nothing."""
    from branchdesk.calendars import files
    from branchdesk.calendars import service as calendars

    try:
        entries = files.read_entries(file.read_text(encoding="utf-8"))
    except InvalidInput as exc:  # a bad file is refused before any server starts
        _fail(exc.errors)

    async def work(rt: Runtime) -> calendars.Loaded:
        async with system_work(rt.db, "cli") as (session, cli):
            return await calendars.load_holidays(session, cli, entries)

    loaded = _run(work)
    typer.echo(f"created {loaded.created}, updated {loaded.updated}, unchanged {loaded.unchanged}")


@calendar_app.command("show")
def calendar_show(
    year: int,
    region: str = typer.Option(None, help="One region (and ALL), e.g. CN; every region when omitted."),
    as_csv: bool = typer.Option(False, "--csv", help="As a file `calendar load` takes."),
) -> None:
    """The head-office calendar of a year, by date."""
    from branchdesk.calendars import files
    from branchdesk.calendars import service as calendars
    from branchdesk.calendars.models import KIND_LABELS, CalendarDay

    async def work(rt: Runtime) -> list[CalendarDay]:
        async with system_work(rt.db, "cli") as (session, cli):
            return await calendars.holidays(session, cli, year, region)

    days = _run(work)
    if as_csv:
        typer.echo(files.write_entries(days), nl=False)
        return
    for day in days:
        en, zh = KIND_LABELS[day.kind]
        typer.echo(
            f"{day.day.isoformat()} {day.day.strftime('%a')} {day.region:<3} {zh}/{en:<20} {day.name_zh} {day.name_en}"
        )


@staff_app.command("activation-code")
def staff_activation_code(employee_number: str) -> None:
    """Issue a single-use activation code for a staff member, printed once: their password is cleared and
    every session ends; they set a new password with it (`activateAccount`)."""
    from branchdesk.credentials import service as credentials

    async def work(rt: Runtime) -> credentials.Issued:
        async with system_work(rt.db, "cli") as (session, cli):
            return await credentials.issue_for_employee(
                session, cli, employee_number, rt.settings.activation_code_ttl_seconds
            )

    issued = _run(work)
    typer.echo(f"activation code for {issued.staff.employee_number}: {issued.code}")
    typer.echo(f"single use, valid until {issued.expires_at.isoformat(timespec='minutes')}")
