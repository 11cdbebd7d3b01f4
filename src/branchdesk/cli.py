"""``branchdesk serve | worker | migrate | tenants … | staff … | export-schema | demo``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
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
crm_app = typer.Typer(help="Clients (CRM).", no_args_is_help=True)
app.add_typer(crm_app, name="crm")
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


@contextmanager
def _phase_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A bar per phase of an import on stderr; yields the ``progress(phase, done, total)`` callback the
    import services report through."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield progress


def _fail(errors: list[DomainError]) -> NoReturn:
    for error in errors:
        typer.secho(f"{error.code} [{error.field or '-'}]: {error.message()}", err=True, fg="red")
    raise typer.Exit(2)


WORKER_HEALTHCHECK_SECONDS = 60
# How the API is served, whatever the number of processes. No per-message deflate on WebSockets: a
# subscription's message is a few hundred bytes, and compressing each one for each subscriber was a sixth
# of the CPU an event's delivery took (bench/live.py); the bench serves with the same options.
SERVE_OPTIONS: dict[str, object] = {"log_config": None, "access_log": False, "ws_per_message_deflate": False}


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
        if settings.second_factor_enforced:
            typer.secho(
                "Second factors are enforced: H0001 is asked to set one up (signIn's secondFactor). "
                "BRANCHDESK_SECOND_FACTOR_ENFORCED=false relaxes it in development (`dev.py start` does).",
                fg="yellow",
                err=True,
            )
    if workers == 1:
        uvicorn.run(create_app(settings, seed_demo=seed), host=host, port=port, **SERVE_OPTIONS)  # type: ignore[arg-type]
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
        **SERVE_OPTIONS,  # type: ignore[arg-type]
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


@staff_app.command("create")
def staff_create(
    employee_number: str,
    name: str = typer.Option(..., help="Name as shown to colleagues."),
    email: str = typer.Option(None),
    phone: str = typer.Option(None),
) -> None:
    """Create a staff identity and print its single-use activation code (shown once: the person sets their
    own password with it)."""
    from branchdesk.staffing import service

    async def work(rt: Runtime) -> Any:
        new = service.NewStaff(employee_number, name, email, phone)
        async with system_work(rt.db, "cli") as (session, cli):
            return await service.hire(session, cli, new, rt.settings.activation_code_ttl_seconds)

    hired = _run(work)
    typer.echo(f"created {hired.staff.employee_number} {hired.staff.display_name}")
    if hired.activation is not None:
        until = hired.activation.expires_at.isoformat(timespec="minutes")
        typer.echo(f"activation code: {hired.activation.code} (single use, valid until {until})")


def _placed(placed: Any) -> str:
    m = placed.membership
    until = f" until {m.ends_at.isoformat()}" if m.ends_at else ""
    roles = ",".join(sorted(m.roles))
    since = m.starts_at.isoformat()
    return f"{placed.staff.employee_number} in {placed.branch.code} as {roles} ({m.kind.value} from {since}{until})"


@staff_app.command("add-membership")
def staff_add_membership(
    employee_number: str,
    branch: str = typer.Option(..., help="Branch code."),
    roles: str = typer.Option(..., help="Comma-separated roles, e.g. customer_manager,teller."),
    cover_from: str = typer.Option(None, help="A cover's first day, YYYY-MM-DD (branch-local)."),
    cover_until: str = typer.Option(None, help="A cover's last day, YYYY-MM-DD (included)."),
    reason: str = typer.Option(None),
) -> None:
    """Make a staff member a member of a branch: from now on, or as a cover for a period."""
    from datetime import date

    from branchdesk.staffing import service

    if (cover_from is None) != (cover_until is None):
        raise typer.BadParameter("a cover needs both --cover-from and --cover-until", param_hint="--cover-until")
    try:
        cover = service.Cover(date.fromisoformat(cover_from), date.fromisoformat(cover_until)) if cover_from else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--cover-from/--cover-until") from exc

    async def work(rt: Runtime) -> Any:
        async with system_work(rt.db, "cli") as (session, cli):
            return await service.add_membership(
                session, cli, employee_number, roles.split(","), branch_code=branch, cover=cover, reason=reason
            )

    typer.echo(_placed(_run(work)))


@staff_app.command("transfer")
def staff_transfer(
    employee_number: str,
    from_branch: str = typer.Option(..., "--from", help="The branch they leave."),
    to_branch: str = typer.Option(..., "--to", help="The branch they join."),
    roles: str = typer.Option(None, help="Comma-separated roles there (default: the same)."),
    reason: str = typer.Option(None),
) -> None:
    """Move a staff member from one branch to another (history kept)."""
    from branchdesk.staffing import service

    async def work(rt: Runtime) -> Any:
        async with system_work(rt.db, "cli") as (session, cli):
            return await service.transfer(
                session,
                cli,
                employee_number,
                from_branch,
                to_branch,
                roles=roles.split(",") if roles else None,
                reason=reason,
            )

    typer.echo(_placed(_run(work)))


@staff_app.command("remove-membership")
def staff_remove_membership(
    employee_number: str, branch: str = typer.Option(..., help="Branch code."), reason: str = typer.Option(None)
) -> None:
    """End a staff member's membership of a branch now (history kept)."""
    from branchdesk.staffing import service

    async def work(rt: Runtime) -> Any:
        async with system_work(rt.db, "cli") as (session, cli):
            return await service.remove_membership(session, cli, employee_number, branch_code=branch, reason=reason)

    typer.echo(f"{employee_number} is no longer a member of {_run(work).code}")


@staff_app.command("deactivate")
def staff_deactivate(employee_number: str, reason: str = typer.Option(None)) -> None:
    """A staff member leaves the bank: sessions end, memberships end; lists their service accounts."""
    from branchdesk.staffing import service

    async def work(rt: Runtime) -> Any:
        async with system_work(rt.db, "cli") as (session, cli), rt.db.platform_session() as platform:
            return await service.deactivate(session, cli, platform, employee_number, reason)

    done = _run(work)
    typer.echo(f"{done.staff.employee_number} deactivated; memberships ended: {[b.code for b in done.branches]}")
    for code, account in done.service_accounts:
        typer.echo(f"  reassign service account {account.client_id} ({account.name}) of {code}")


@staff_app.command("reactivate")
def staff_reactivate(employee_number: str, reason: str = typer.Option(None)) -> None:
    """A staff member who left comes back (add a membership next)."""
    from branchdesk.staffing import service

    async def work(rt: Runtime) -> Any:
        async with system_work(rt.db, "cli") as (session, cli):
            return await service.reactivate(session, cli, employee_number, reason)

    typer.echo(f"{_run(work).employee_number} is active again")


@staff_app.command("import")
def staff_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The HR feed, CSV (UTF-8)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file and show what would change; write nothing."),
    apply_leavers: bool = typer.Option(
        False, "--apply-leavers", help="Deactivate members of the file's branches who are absent from it."
    ),
    report: Path = typer.Option(
        None, help="Where to write the validation report (default: FILE.report.csv beside it)."
    ),
) -> None:
    """Make the branches an HR feed covers agree with it, all or nothing: new staff, memberships, covers, roles.

    Columns: employee_number, name, email, phone, branch_code, roles (customer_manager;teller), start_date,
    end_date. Exit status 1 when the file has a bad row (nothing is written; see the report)."""
    from rich.console import Console

    from branchdesk.staffing.hr_import import feed
    from branchdesk.staffing.hr_import import service as hr_import

    data = file.read_bytes()
    console = Console(stderr=True)
    with _phase_progress() as progress:

        async def work(rt: Runtime) -> hr_import.ImportResult:
            async with rt.db.session(None) as session:
                return await hr_import.import_feed(
                    session,
                    rt.db.platform_session,
                    data,
                    file.name,
                    dry_run=dry_run,
                    apply_leavers=apply_leavers,
                    progress=progress,
                )

        result = _run(work)
    written = report or file.with_name(f"{file.stem}.report.csv")
    written.write_text(feed.report_csv(result.issues), encoding="utf-8")
    _render_import(console, result, written)
    if result.issues:
        raise typer.Exit(1)


def _render_import(console: Any, result: Any, report: Path) -> None:
    from rich.table import Table

    from branchdesk.staffing.hr_import.service import ChangeKind

    rows = f"{result.file_name}: {result.total_rows} rows"
    if result.issues:
        console.print(f"[red]{rows}, {len(result.issues)} problems: nothing was written.[/] Report: {report}")
        shown = Table("row", "column", "code", "message", show_edge=False)
        for issue in result.issues[:20]:
            shown.add_row(str(issue.row), issue.column, issue.code.value, issue.message)
        console.print(shown)
        if len(result.issues) > 20:
            console.print(f"… and {len(result.issues) - 20} more in {report}")
        return
    state = "dry run, nothing written" if result.dry_run else "written"
    console.print(f"[green]{rows}, no problems ({state}).[/] Report: {report}")
    counts = Table("change", "count", show_edge=False)
    for kind, count in result.counts.items():
        counts.add_row(kind.value, str(count))
    console.print(counts)
    leavers = result.leavers
    if leavers:
        if result.apply_leavers:
            what = "deactivated" if not result.dry_run else "to be deactivated"
        else:
            what = "absent from the file, not deactivated (--apply-leavers does)"
        console.print(f"Leavers ({len(leavers)}), {what}:")
        for change in leavers[:50]:
            console.print(f"  {change.employee_number} ({change.branch_code})")
    if result.dry_run:
        quiet = {ChangeKind.UNCHANGED, ChangeKind.LEAVER, ChangeKind.DEACTIVATED}
        planned = [c for c in result.changes if c.kind not in quiet]
        for change in planned[:50]:
            where = f" in {change.branch_code}" if change.branch_code else ""
            roles = f": {';'.join(change.roles)}" if change.roles else ""
            console.print(f"  would be {change.kind.value}: {change.employee_number}{where}{roles}")
        if len(planned) > 50:
            console.print(f"  … and {len(planned) - 50} more")


@crm_app.command("rekey")
def crm_rekey(
    branch: str | None = typer.Option(None, help="Only this branch (its code); default: every branch."),
    batch_size: int = typer.Option(500, min=1, max=10_000, help="Clients re-sealed per transaction."),
) -> None:
    """Re-seal clients' personal data under the current data key (BRANCHDESK_DATA_KEYS' "current"), in
    batches; rows already under it are skipped, so an interrupted run simply runs again. Without --branch,
    staff's second-factor secrets too (the same key ring seals them)."""
    from branchdesk.crm import pii
    from branchdesk.second_factor import service as second_factor
    from branchdesk.tenants import service as tenants

    async def work(rt: Runtime) -> int:
        async with rt.db.session(None) as session:
            branches = [b for b in await tenants.all_branches(session) if branch is None or b.code == branch]
        if branch is not None and not branches:
            typer.secho(f"no branch {branch}", err=True, fg="red")
            raise typer.Exit(2)
        total = 0
        for found in branches:
            code = found.code

            def report(done: int, pending: int, code: str = code) -> None:
                typer.echo(f"{code}: {done}/{pending} clients re-sealed")

            total += await pii.rekey_branch(rt.db, found.id, size=batch_size, progress=report)
        if branch is None:
            secrets = await second_factor.rekey_secrets(rt.db, size=batch_size)
            typer.echo(f"{secrets} second-factor secrets re-sealed under the current key")
        return total

    done = _run(work)
    typer.echo(f"{done} clients re-sealed under the current key")


@crm_app.command("score")
def crm_score(
    branch: str | None = typer.Option(None, help="Only this branch (its code); default: every branch."),
) -> None:
    """Rescore clients now: value tiers, RFM quintiles and lifecycle stages (one set-based statement per
    branch), then every segment's membership; one transaction per branch. The nightly job does the same;
    this is for operators and for catching up after downtime (a second run changes nothing)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from branchdesk.segments import service as segments
    from branchdesk.tenants import service as tenants

    console = Console(stderr=True)
    totals = {"branches": 0, "scores": 0, "tier_changes": 0, "entered": 0, "left": 0}

    async def work(rt: Runtime) -> None:
        async with rt.db.session(None) as session:
            branches = [b for b in await tenants.all_branches(session) if branch is None or b.code == branch]
        if branch is not None and not branches:
            typer.secho(f"no branch {branch}", err=True, fg="red")
            raise typer.Exit(2)
        with Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("scoring", total=len(branches))
            for found in branches:
                bar.update(task, description=found.code)
                async with system_work(rt.db, "crm score", found.id) as (session, by):
                    run = await segments.run_branch(session, by, "crm score")
                totals["branches"] += 1
                totals["scores"] += run.scored.scores_written
                totals["tier_changes"] += run.scored.tier_changes
                totals["entered"] += run.entered
                totals["left"] += run.left
                for name in run.skipped:
                    console.print(f"{found.code}: segment {name} skipped (its rule no longer checks)")
                bar.advance(task)

    _run(work)
    typer.echo(
        f"{totals['branches']} branches scored: {totals['scores']} scores changed, {totals['tier_changes']} tier "
        f"changes; segment members +{totals['entered']} -{totals['left']}"
    )


@staff_app.command("reset-second-factor")
def staff_reset_second_factor(employee_number: str) -> None:
    """Remove a staff member's second factor (a lost phone): they set one up again at their next sign-in,
    and every session of theirs ends. Recorded in the head office's audit trail."""
    from branchdesk.second_factor import service as second_factor

    async def work(rt: Runtime) -> None:
        async with system_work(rt.db, "cli") as (session, by):
            await second_factor.reset_named(session, by, employee_number)

    _run(work)
    typer.echo(f"second factor of {employee_number} removed; their sessions have ended")


crm_import_app = typer.Typer(help="Load clients from core-banking files.", no_args_is_help=True)
crm_app.add_typer(crm_import_app, name="import")


IMPORT_STATEMENT_TIMEOUT_S = 1800  # a file of a million clients, on a busy server


@crm_import_app.command("clients")
def crm_import_clients(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The clients file, CSV (UTF-8)."),
    branch: str = typer.Option(..., help="The branch's code: the clients are its clients."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file and count what would change; write nothing."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Load the good rows even when some are bad."),
    report: Path = typer.Option(None, help="Where to write the validation report (default: FILE.report.csv)."),
) -> None:
    """Create and update a branch's clients from a core-banking file, matched by client number; all or
    nothing unless --skip-invalid. Loading the same file again changes nothing.

    Columns (header names, any order): client_number, name, owner_employee_number (required); kind, id_type,
    id_number, phone, address, birthday, lunar_birthday (08-15, 闰04-08), gender, occupation, risk_grade,
    risk_assessed_on, kyc_status, kyc_expires_on, consents (sms;phone), do_not_contact, preferred_language,
    lifecycle, tags (a;b), notes.
    A column left out leaves that field of known clients as it is. Exit status 1 when any row is refused."""
    from rich.console import Console

    from branchdesk.crm.imports import layout
    from branchdesk.crm.imports import service as imports
    from branchdesk.platform.memory import collector_paused
    from branchdesk.tenants import service as tenants

    console = Console(stderr=True)
    # The command does nothing else: the cyclic collector stays off from reading to commit (switched back
    # on between phases, each first collection would walk every row built so far: about 1 s of 100,000)
    with collector_paused():
        sheet = layout.read_sheet(file.read_bytes())
        with _phase_progress() as progress:

            async def work(rt: Runtime) -> imports.ImportResult | None:
                async with rt.db.session(None) as session:
                    found = await tenants.find_branch(session, branch)
                if found is None:
                    return None
                async with system_work(rt.db, f"crm import {file.name}"[:120], found.id) as (session, by):
                    return await imports.import_clients(
                        session, by, sheet, source=file.name, dry_run=dry_run, skip_invalid=skip_invalid,
                        progress=progress, statement_timeout_s=IMPORT_STATEMENT_TIMEOUT_S,
                    )  # fmt: skip

            result = _run(work)
    if result is None:
        typer.secho(f"no branch {branch}", err=True, fg="red")
        raise typer.Exit(2)
    written = report or file.with_name(f"{file.stem}.report.csv")
    written.write_text(layout.report_csv(result.issues), encoding="utf-8")
    would = "would be " if result.dry_run else ""
    totals = (
        f"{would}inserted {result.inserted}, {would}updated {result.updated} "
        f"({result.moved} to another owner), unchanged {result.unchanged}, refused {result.refused}"
    )
    _render_feed_import(console, result, written, totals)
    if result.issues:
        raise typer.Exit(1)


def _render_feed_import(console: Any, result: Any, report: Path, totals: str) -> None:
    """An import's problems (the first 20; all in the report) and, when it loaded, its ``totals``."""
    from rich.table import Table

    rows = f"{result.source}: {result.total_rows} rows"
    if result.issues:
        shown = Table("row", "column", "code", "message", show_edge=False)
        for issue in result.issues[:20]:
            shown.add_row(str(issue.row), issue.column, issue.code.code, issue.message())
        what = "nothing was loaded" if not result.accepted else f"{result.refused} rows refused, the others loaded"
        if result.accepted and result.dry_run:
            what = f"{result.refused} rows would be refused"
        console.print(f"[red]{rows}, {len(result.issues)} problems: {what}.[/] Report: {report}")
        console.print(shown)
        if len(result.issues) > 20:
            console.print(f"… and {len(result.issues) - 20} more in {report}")
    else:
        state = "dry run, nothing written" if result.dry_run else "loaded"
        console.print(f"[green]{rows}, no problems ({state}).[/] Report: {report}")
    if result.accepted:
        console.print(totals)


@crm_app.command("plan")
def crm_plan(
    branch: str | None = typer.Option(None, help="Only this branch (its code); default: every active branch."),
    day: str | None = typer.Option(
        None, "--date", help="The day to plan, YYYY-MM-DD (default: each branch's today in its time zone)."
    ),
) -> None:
    """Make the follow-ups of every active care plan, one transaction per branch. It finds what is missing
    by querying (a week back), so running it after downtime makes exactly what was missed, and running it
    again makes nothing twice."""
    from datetime import date

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from branchdesk.care import service as care
    from branchdesk.tenants import service as tenants
    from branchdesk.tenants.models import BranchLevel, BranchStatus

    try:
        wanted = date.fromisoformat(day) if day else None
    except ValueError:
        typer.secho(f"--date {day!r} is not YYYY-MM-DD", err=True, fg="red")
        raise typer.Exit(2) from None
    console = Console(stderr=True)

    async def work(rt: Runtime) -> tuple[int, int]:
        async with rt.db.session(None) as session:
            found = [b for b in await tenants.all_branches(session) if branch is None or b.code == branch]
        found = [b for b in found if b.status is BranchStatus.ACTIVE and b.level is not BranchLevel.HEAD_OFFICE]
        if branch is not None and not found:
            typer.secho(f"no active branch {branch}", err=True, fg="red")
            raise typer.Exit(2)
        made = plans = 0
        with Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("planning", total=len(found))
            for each in found:
                async with system_work(rt.db, "crm plan", each.id) as (session, system):
                    results = await care.plan_day(session, system, wanted)
                made += sum(r.created for r in results)
                plans += len(results)
                bar.update(task, advance=1, description=each.code)
        return made, plans

    made, plans = _run(work)
    typer.echo(f"{made} follow-ups made by {plans} plan runs")


@crm_import_app.command("holdings")
def crm_import_holdings(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="The holdings file, CSV (UTF-8)."
    ),
    branch: str = typer.Option(..., help="The branch's code: the holdings are its clients'."),
    as_of: str = typer.Option(None, help="The feed's business date, YYYY-MM-DD (default: today in the branch)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file and count what would change; write nothing."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Load the good rows even when some are bad."),
    full: bool = typer.Option(
        False, "--full", help="The file is the branch's whole book: close its holdings the file does not name."
    ),
    report: Path = typer.Option(None, help="Where to write the validation report (default: FILE.report.csv)."),
) -> None:
    """Create and update a branch's holdings from a core-banking file, matched by reference, and keep each
    client's AUM current; all or nothing unless --skip-invalid. Loading the same file again changes nothing.
    With --full (core banking's daily snapshot), holdings missing from the file are closed (never together
    with --skip-invalid: a skipped row would close its holding).

    Columns: reference, client_number, product_code, balance (required); currency, opened_on, matures_on,
    status (active, matured, closed). Exchange rates to CNY must be recorded for the business date (or
    before) for every currency held. Exit status 1 when any row is refused."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from rich.console import Console

    from branchdesk.crm.imports import layout as client_layout
    from branchdesk.holdings.imports import layout
    from branchdesk.holdings.imports import service as imports
    from branchdesk.tenants import service as tenants

    try:
        business_date = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise typer.BadParameter("a date written YYYY-MM-DD", param_hint="--as-of") from exc
    if full and skip_invalid:
        raise typer.BadParameter("a full book is loaded whole: leave out --skip-invalid", param_hint="--full")
    console = Console(stderr=True)
    sheet = layout.read_sheet(file.read_bytes())
    with _phase_progress() as progress:

        async def work(rt: Runtime) -> imports.HoldingsImportResult | None:
            async with rt.db.session(None) as session:
                found = await tenants.find_branch(session, branch)
            if found is None:
                return None
            day = business_date or datetime.now(ZoneInfo(found.timezone)).date()
            async with system_work(rt.db, f"crm import {file.name}"[:120], found.id) as (session, by):
                return await imports.import_holdings(
                    session, by, sheet, source=file.name, as_of=day, dry_run=dry_run, skip_invalid=skip_invalid,
                    full=full, progress=progress,
                )  # fmt: skip

        result = _run(work)
    if result is None:
        typer.secho(f"no branch {branch}", err=True, fg="red")
        raise typer.Exit(2)
    written = report or file.with_name(f"{file.stem}.report.csv")
    written.write_text(client_layout.report_csv(result.issues, columns=layout.COLUMNS), encoding="utf-8")
    would = "would be " if result.dry_run else ""
    totals = (
        f"holdings {would}inserted {result.inserted}, {would}updated {result.updated}, unchanged "
        f"{result.unchanged}, refused {result.refused}"
        + (f", {would}closed {result.closed} (not in the full book)" if result.full else "")
        + f"; AUM changed for {result.clients} clients"
    )
    _render_feed_import(console, result, written, totals)
    if result.issues:
        raise typer.Exit(1)


handoffs_app = typer.Typer(help="Handoffs between roles: the SLA watch.", no_args_is_help=True)


app.add_typer(handoffs_app, name="handoffs")


@handoffs_app.command("sla-watch")
def handoffs_sla_watch(
    branch: str | None = typer.Option(None, help="Only this branch (its code); default: every branch."),
) -> None:
    """Run the handoff SLA watch now (the worker runs it every 15 minutes): escalate each handoff past due to
    the branch head once, expire those past their type's hard limit. Safe to run any time, and twice."""
    from branchdesk.access.unit_of_work import system_work
    from branchdesk.handoffs import service as handoffs
    from branchdesk.tenants import service as tenants

    async def work(rt: Runtime) -> list[tuple[str, int, int]]:
        async with rt.db.session(None) as session:
            branches = [b for b in await tenants.all_branches(session) if branch is None or b.code == branch]
        if branch is not None and not branches:
            typer.secho(f"no branch {branch}", err=True, fg="red")
            raise typer.Exit(2)
        found = []
        for each in branches:
            async with system_work(rt.db, "handoffs sla-watch", each.id) as (session, by):
                result = await handoffs.watch(session, by)
            found.append((each.code, len(result.escalated), len(result.expired)))
        return found

    for code, escalated, expired in _run(work):
        typer.echo(f"{code}: {escalated} escalated, {expired} expired")
