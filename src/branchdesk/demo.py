"""Demo data: a head office and three branches with staff in every role. Deterministic and idempotent,
so that later features can extend it and the README can list the sign-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.identity import Identity
from branchdesk.access.principal import Principal
from branchdesk.calendars import service as calendars
from branchdesk.credentials import service as credentials
from branchdesk.onboarding import service as onboarding
from branchdesk.rbac import service as rbac
from branchdesk.runtime import Runtime
from branchdesk.tenants import repository, service
from branchdesk.tenants.models import BranchLevel

DEMO_PASSWORD = "Branchdesk2026"
WEEKDAY_HOURS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": [["09:00", "12:00"]]
}


@dataclass(frozen=True)
class DemoBranch:
    code: str
    name: str
    level: BranchLevel
    parent: str | None
    # (employee number, name, role); the first is the branch head given at onboarding.
    staff: tuple[tuple[str, str, str], ...]


BRANCHES = (
    DemoBranch(
        "0000",
        "总行",
        BranchLevel.HEAD_OFFICE,
        None,
        (
            ("H0001", "王建国", "head_office_admin"),
            ("H0002", "陈静怡", "auditor"),
        ),
    ),
    DemoBranch(
        "0100",
        "上海分行营业部",
        BranchLevel.TIER1_BRANCH,
        "0000",
        (
            ("E0100001", "李明华", "branch_head"),
            ("E0100002", "张伟", "customer_manager"),
            ("E0100003", "刘芳", "lobby_manager"),
            ("E0100004", "赵磊", "teller"),
            ("E0100005", "孙丽娟", "risk_officer"),
            ("E0100006", "周志强", "compliance_officer"),
            ("E0100007", "吴昊", "it_support"),
        ),
    ),
    DemoBranch(
        "0101",
        "上海陆家嘴支行",
        BranchLevel.SUB_BRANCH,
        "0100",
        (
            ("E0101001", "郑海燕", "branch_head"),
            ("E0101002", "王磊", "customer_manager"),
            ("E0101003", "冯晓雪", "lobby_manager"),
            ("E0101004", "陈思远", "teller"),
            ("E0101005", "褚文博", "risk_officer"),
            ("E0101006", "卫佳琪", "compliance_officer"),
            ("E0101007", "蒋涛", "it_support"),
        ),
    ),
    DemoBranch(
        "0102",
        "上海静安寺支行",
        BranchLevel.SUB_BRANCH,
        "0100",
        (
            ("E0102001", "沈国栋", "branch_head"),
            ("E0102002", "韩雨桐", "customer_manager"),
            ("E0102003", "杨帆", "lobby_manager"),
            ("E0102004", "朱晓琳", "teller"),
            ("E0102005", "秦浩然", "risk_officer"),
            ("E0102006", "尤美玲", "compliance_officer"),
            ("E0102007", "许俊杰", "it_support"),
        ),
    ),
)
# A customer manager of 0101 also covers the neighbouring 0102.
COVER = ("E0101002", "0102", "customer_manager")
# Branch policy changes made by each branch head: (branch, role, permission, granted, reason).
# The first puts tellers of 0101 in a maker-checker conflict (cash:initiate and cash:approve).
CUSTOM_POLICY = (
    ("0101", "teller", "cash:approve", True, "午间人手不足，柜员临时互相复核"),
    ("0101", "lobby_manager", "client.pii:read", True, "大堂分流需核对客户身份"),
    ("0102", "it_support", "client:read", True, "协助排查客户系统问题"),
    ("0100", "lobby_manager", "client:read", False, "营业部大堂不再查阅客户档案"),
)
DISTRICTS = {
    "0000": "黄浦区中山东一路",
    "0100": "浦东新区陆家嘴环路",
    "0101": "浦东新区世纪大道",
    "0102": "静安区南京西路",
}


def personal_data(branch: str, number: str) -> dict[str, str]:
    """Plausible, clearly fictitious personal data derived from the employee number."""
    n = int("".join(ch for ch in number if ch.isdigit()))
    birth = f"19{70 + n % 25:02d}{1 + n % 12:02d}{1 + n % 28:02d}"
    return {
        "phone": f"139{n % 100_000_000:08d}",
        "id_number": f"310115{birth}{n % 1000:03d}{n % 10}",
        "address": f"上海市{DISTRICTS[branch]}{10 + n % 890}号",
    }


async def seed(rt: Runtime) -> None:
    actor = Principal.system("demo")
    async with rt.db.session(None) as session:
        for demo in BRANCHES:
            head_number, head_name, _ = demo.staff[0]
            onboarded = await onboarding.onboard_branch(
                session,
                actor,
                service.BranchDraft(
                    code=demo.code,
                    name=demo.name,
                    level=demo.level,
                    parent_code=demo.parent,
                    timezone="Asia/Shanghai",
                    business_hours=WEEKDAY_HOURS,
                    head=service.StaffDraft(head_number, head_name, f"{head_number.lower()}@demo.branchdesk.cn"),
                ),
            )
            for number, name, role in demo.staff:
                staff = await service.ensure_staff(
                    session, service.StaffDraft(number, name, f"{number.lower()}@demo.branchdesk.cn")
                )
                await onboarding.grant_membership(session, actor, onboarded.branch, staff, [role])
                if staff.password_hash is None:  # the demo's known password (it follows the rules)
                    await credentials.set_password(session, actor, number, DEMO_PASSWORD)
                if staff.phone is None:
                    for field, value in personal_data(demo.code, number).items():
                        setattr(staff, field, value)
        number, code, role = COVER
        cover = await repository.staff_by_employee_number(session, number)
        branch = await repository.branch_by_code(session, code)
        assert cover is not None and branch is not None
        await onboarding.grant_membership(session, actor, branch, cover, [role])
        await _custom_policy(rt, session)
        await _closures(rt, session)


async def _custom_policy(rt: Runtime, session: AsyncSession) -> None:
    """Each change is made by the branch head, through the same audited service as the API."""
    heads = {demo.code: demo.staff[0][0] for demo in BRANCHES}
    for code, role, permission, granted, reason in CUSTOM_POLICY:
        head = await repository.staff_by_employee_number(session, heads[code])
        assert head is not None
        principal = await rt.gate.enter(session, Identity({}, staff_id=head.id), code)
        await rbac.set_permission(session, principal, role, permission, granted, reason)


async def _closures(rt: Runtime, session: AsyncSession) -> None:
    """0102 closes for two days of renovation about a month ahead (a closure can only be added ahead)."""
    head = await repository.staff_by_employee_number(session, "E0102001")
    assert head is not None
    principal = await rt.gate.enter(session, Identity({}, staff_id=head.id), "0102")
    _, today = await calendars.branch_today(session, principal)
    if not await calendars.closures(session, principal, today):
        monday = today + timedelta(days=28 + (7 - today.weekday()) % 7)
        await calendars.add_closure(session, principal, monday, monday + timedelta(days=1), "网点装修")
