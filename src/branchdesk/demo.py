"""Demo data: a head office and three branches with staff in every role. Deterministic and idempotent,
so that later features can extend it and the README can list the sign-ins."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.identity import Identity
from branchdesk.access.principal import Principal
from branchdesk.access.registry import DataScope, data_scoped
from branchdesk.access.unit_of_work import across
from branchdesk.calendars import service as calendars
from branchdesk.care import follow_ups as care_work
from branchdesk.care import rules as care_rules
from branchdesk.care import service as care
from branchdesk.credentials import service as credentials
from branchdesk.crm import bulk as crm_bulk
from branchdesk.crm import rules as crm_rules
from branchdesk.crm import service as crm
from branchdesk.crm.interactions import service as crm_interactions
from branchdesk.crm.service import ClientDraft
from branchdesk.directives import service as directives
from branchdesk.directives.models import DirectiveCategory, DirectiveTarget
from branchdesk.feedback import service as feedback
from branchdesk.feedback.rules import Channel, ComplaintAction, FeedbackKind, Severity
from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.rules import HandoffAction
from branchdesk.holdings import catalogue
from branchdesk.holdings import feed as holdings_feed
from branchdesk.holdings.rules import ProductCategory, ProductRiskGrade
from branchdesk.meetings import service as meetings
from branchdesk.onboarding import service as onboarding
from branchdesk.platform import lunar
from branchdesk.platform.pagination import PageRequest
from branchdesk.rbac import service as rbac
from branchdesk.runtime import Runtime
from branchdesk.segments import service as segments
from branchdesk.surveys import demo as survey_demo
from branchdesk.tenants import repository, service
from branchdesk.tenants.models import BranchLevel
from branchdesk.tickets import rules as ticket_rules
from branchdesk.tickets import service as tickets
from branchdesk.visits import service as visits
from branchdesk.visits.rules import Purpose, ServiceLine, TicketState

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
        await _clients(session)
        await _interactions(session)
        await _feedback(session)
        await _holdings(session)
        await _segments(session)
        await _surveys(session)
        await _queue(session)
        await _directives(rt, session)
        await _care(session)
        await _working_together(session)


async def _custom_policy(rt: Runtime, session: AsyncSession) -> None:
    """Each change is made by the branch head, through the same audited service as the API."""
    heads = {demo.code: demo.staff[0][0] for demo in BRANCHES}
    for code, role, permission, granted, reason in CUSTOM_POLICY:
        head = await repository.staff_by_employee_number(session, heads[code])
        assert head is not None
        principal = await rt.gate.enter(session, Identity({}, staff_id=head.id), code)
        # a data-scoped grant here reaches the whole branch (IT support has no book of its own)
        scope = DataScope.BRANCH if granted and data_scoped(permission) else None
        await rbac.set_permission(session, principal, role, permission, granted, reason, scope)


async def _closures(rt: Runtime, session: AsyncSession) -> None:
    """0102 closes for two days of renovation about a month ahead (a closure can only be added ahead)."""
    head = await repository.staff_by_employee_number(session, "E0102001")
    assert head is not None
    principal = await rt.gate.enter(session, Identity({}, staff_id=head.id), "0102")
    _, today = await calendars.branch_today(session, principal)
    if not await calendars.closures(session, principal, today):
        monday = today + timedelta(days=28 + (7 - today.weekday()) % 7)
        await calendars.add_closure(session, principal, monday, monday + timedelta(days=1), "网点装修")


# --- clients (CRM) -------------------------------------------------------------------------------

CLIENTS_PER_BRANCH = 300
# Each branch's book is split among its customer managers (0102's includes the one who covers it).
CLIENT_OWNERS = {"0100": ("E0100002",), "0101": ("E0101002",), "0102": ("E0102002", "E0101002")}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥建平文辉力明永健世广志义兴良海山仁波宁"
    "贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思"
    "群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰"
    "士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
)
DISTRICT_CODES = ("310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310115")
ROADS = ("世纪大道", "南京西路", "淮海中路", "张杨路", "长寿路", "四川北路", "国权路", "七莘路", "浦东南路")
COMPANIES = ("陆家嘴贸易有限公司", "静安文化传媒有限公司", "浦江精密机械有限公司", "申城餐饮管理有限公司")
TAGS = ("代发工资", "理财偏好", "养老金", "企业主", "高净值", "新市民", "跨境业务")
LIFECYCLE_WEIGHTS = (("prospect", 1), ("new", 2), ("active", 6), ("dormant", 2), ("lost", 1))


def _born_on_lunar(day: lunar.LunarDay, year: int) -> date | None:
    """The day in lunar ``year`` with ``day``'s (regular) month and day, if that year had it."""
    first = date(year, 1, 15)
    return next(
        (
            d
            for d in (first + timedelta(days=n) for n in range(400))
            if (found := lunar.lunar_day(d)).year == year
            and (found.month, found.day, found.leap) == (day.month, day.day, False)
        ),
        None,
    )


def demo_clients(code: str, owners: list[uuid.UUID], today: date) -> list[ClientDraft]:
    """A branch's book: realistic names, fictitious resident IDs with correct check characters, a few
    birthdays in the coming week, solar and lunar; a fifth of the clients with their lunar birthday (the
    lunar date they were born on) on file. The same on every run for the same day (seeded by the branch
    code)."""
    rng = random.Random(f"branchdesk-demo-clients-{code}")
    stages = [stage for stage, weight in LIFECYCLE_WEIGHTS for _ in range(weight)]
    drafts = []
    for i in range(CLIENTS_PER_BRANCH):
        number = f"{code}{i + 1:06d}"
        owner = owners[i % len(owners)]
        team = [owners[(i + 1) % len(owners)]] if len(owners) > 1 and i % 7 == 0 else []
        lunar_birthday = None
        if i % 25 == 24:  # a few companies, identified by their unified social credit code
            name = f"上海{COMPANIES[i % len(COMPANIES)]}"
            kind, id_type = crm_rules.ClientKind.COMPANY, crm_rules.IdDocumentType.BUSINESS_LICENCE
            id_number = f"91310000{rng.randrange(10**9):09d}{rng.choice('0123456789ABCDEFGHJKLMNPQRTUWXY')}"
        else:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            if i % 20 == 3:  # birthdays this week
                soon = today + timedelta(days=i % 7)
                born = date(rng.randrange(1955, 2000), soon.month, min(soon.day, 28))
            else:
                born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 53))
            if i % 20 == 8:  # lunar birthdays this week (农历生日)
                born = _born_on_lunar(lunar.lunar_day(today + timedelta(days=i % 7)), 1955 + i * 7 % 45) or born
            if i % 5 == 3:
                kept = lunar.lunar_day(born)
                lunar_birthday = lunar.LunarBirthday(kept.month, kept.day, kept.leap)
            first17 = f"{rng.choice(DISTRICT_CODES)}{born:%Y%m%d}{rng.randrange(1000):03d}"
            kind, id_type = crm_rules.ClientKind.INDIVIDUAL, crm_rules.IdDocumentType.RESIDENT_ID
            id_number = first17 + crm_rules.check_character(first17)
        stage = crm_rules.LifecycleStage(rng.choice(stages))
        kyc_expires = today + timedelta(days=rng.randrange(-60, 900))
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        consents = sorted(rng.sample(("phone", "sms", "wechat", "email", "visit"), rng.randrange(0, 4)))
        drafts.append(
            ClientDraft(
                client_number=number,
                name=name,
                phone=phone,
                address=f"上海市{rng.choice(ROADS)}{rng.randrange(1, 999)}号{rng.randrange(101, 2999)}室",
                occupation=rng.choice(("教师", "工程师", "医生", "个体经营", "公务员", "退休", "会计", "销售")),
                risk_grade=crm_rules.RiskGrade(f"C{rng.randrange(1, 6)}"),
                risk_assessed_on=today - timedelta(days=rng.randrange(10, 700)),
                kyc_status=crm_rules.KycStatus.VERIFIED if kyc_expires > today else crm_rules.KycStatus.EXPIRED,
                kyc_expires_on=kyc_expires,
                consents=[crm_rules.ContactChannel(c) for c in consents],
                lifecycle=stage,
                tags=sorted(set(rng.sample(TAGS, rng.randrange(0, 3)))),
                owner_id=owner,
                co_owner_ids=team,
                kind=kind,
                id_type=id_type,
                id_number=id_number,
                lunar_birthday=lunar_birthday,
            )
        )
    return drafts


async def _clients(session: AsyncSession) -> None:
    """Each branch's book, recorded as the system in one set-based call per branch (idempotent)."""
    for code, owners in CLIENT_OWNERS.items():
        branch = await repository.branch_by_code(session, code)
        assert branch is not None
        ids = []
        for number in owners:
            staff = await repository.staff_by_employee_number(session, number)
            assert staff is not None
            ids.append(staff.id)
        today = date.today()
        async with across(session, Principal.system("demo"), branch.id) as system:
            await crm_bulk.create_clients_in_bulk(session, system, demo_clients(code, ids, today), "demo")


# --- interactions (the client timeline) ----------------------------------------------------------

# The branch whose customer managers' clients get a timeline, and what was said (kind, channel, summary,
# outcome, next step, product codes: free codes until the product catalogue lands).
TIMELINE_BRANCH = "0101"
CONTACTS = (
    ("call", "phone", "电话回访：定期存款下周到期", "客户愿意续存三年期", "到期前一天再次电话确认", ("TD3Y",)),
    ("visit", "branch", "来网点咨询理财产品", "介绍稳健型理财，客户考虑中", "发送产品说明书", ("WM-R2-180",)),
    ("message", "wechat", "微信推送养老金产品资讯", "客户表示感兴趣", "约客户来网点面谈", ("PENSION01",)),
    ("meeting", "on_site", "上门拜访企业主，了解代发工资需求", "同意试用代发工资服务", "准备代发协议", ("PAYROLL",)),
    ("note", "other", "客户更换了工作单位，收入有所提高", None, None, ()),
    ("call", "phone", "电话提醒客户 KYC 资料即将过期", "客户约定本周五来网点更新资料", "周五更新 KYC 资料", ()),
    ("message", "sms", "短信祝贺客户生日", None, None, ()),
)


def demo_interactions(
    book: list[tuple[uuid.UUID, str, uuid.UUID]], now: datetime
) -> list[tuple[crm_interactions.InteractionDraft, uuid.UUID]]:
    """Two to four interactions per client over the past year, each logged by its owner; the same on every
    run for the same moment (seeded by the client number)."""
    logged = []
    for client_id, number, owner_id in book:
        rng = random.Random(f"branchdesk-demo-interactions-{number}")
        for _ in range(rng.randrange(2, 5)):
            kind, channel, summary, outcome, next_step, products = rng.choice(CONTACTS)
            when = now - timedelta(days=rng.randrange(1, 365), hours=rng.randrange(0, 8))
            draft = crm_interactions.InteractionDraft(
                client_id=client_id,
                kind=crm_rules.InteractionKind(kind),
                channel=crm_rules.InteractionChannel(channel),
                occurred_at=when,
                summary=summary,
                outcome=outcome,
                next_step=next_step,
                next_step_on=(when + timedelta(days=7)).date() if next_step else None,
                products=list(products),
            )
            logged.append((draft, owner_id))
    return logged


async def _interactions(session: AsyncSession) -> None:
    """Timelines for the clients of 0101's customer managers, set-based (idempotent)."""
    branch = await repository.branch_by_code(session, TIMELINE_BRANCH)
    assert branch is not None
    owners = []
    for number in CLIENT_OWNERS[TIMELINE_BRANCH]:
        staff = await repository.staff_by_employee_number(session, number)
        assert staff is not None
        owners.append(staff.id)
    now = datetime.combine(date.today(), datetime.min.time(), UTC) + timedelta(hours=9)
    async with across(session, Principal.system("demo"), branch.id) as system:
        book = await crm_interactions.books_of(session, system, owners)
        await crm_interactions.record_in_bulk(session, system, demo_interactions(book, now), "demo")


# --- feedback and complaints ---------------------------------------------------------------------

# (client number suffix or None for anonymous, kind, channel, category, severity, summary, days ago, steps)
DEMO_FEEDBACK = (
    (1, "complaint", "counter", "waiting_time", "medium", "周一上午排队超过一小时，仅开放两个窗口", 10, ()),
    (
        2,
        "complaint",
        "hotline",
        "fees_and_charges",
        "high",
        "跨行转账手续费与宣传不符",
        0,
        ("acknowledge", "start_investigation"),
    ),
    (
        3,
        "complaint",
        "online",
        "product_sales",
        "low",
        "理财产品风险等级说明不清楚",
        5,
        ("acknowledge", "start_investigation", "resolve", "close"),
    ),
    (None, "suggestion", "opinion_box", "facilities", "low", "希望大堂增加老花镜和座椅", 3, ()),
    (4, "praise", "counter", "service_attitude", "low", "柜员耐心帮助老人办理社保卡激活", 1, ()),
)
DEMO_RESOLUTION = "已当面向客户解释产品风险等级与适当性评估结果，客户表示理解，理财经理将补充书面说明。"


async def seed_feedback(
    session: AsyncSession, system: Principal, code: str, handler: uuid.UUID | None, now: datetime
) -> int:
    """A branch's feedback: a complaint past its SLA (received ten days ago, never acknowledged), one being
    investigated, one resolved and closed, an anonymous opinion-box note and a praise. Recorded once: a
    branch that has feedback already gets none. Returns how many were recorded."""
    if await feedback.count_feedback(session, system, feedback.FeedbackFilters()):
        return 0
    zone = ZoneInfo((await service.branch_by_id(session, system.branch_id)).timezone)
    for suffix, kind, channel, category, severity, summary, days_ago, steps in DEMO_FEEDBACK:
        client = None
        if suffix is not None:
            wanted = crm.ClientFilters(client_number=f"{code}{suffix:06d}")
            cards = await crm.routing_cards(session, system, None, wanted)
            client = cards[0].client_id if cards else None
        local = (now.astimezone(zone) - timedelta(days=days_ago)).replace(hour=10, minute=0, second=0, microsecond=0)
        received = min(local.astimezone(UTC), now - timedelta(hours=1))
        made = await feedback.submit_feedback(
            session,
            system,
            feedback.FeedbackDraft(
                kind=FeedbackKind(kind),
                channel=Channel(channel),
                category=category,
                severity=Severity(severity),
                summary=summary,
                client_id=client,
                received_at=received,
                assignee_id=handler if kind == "complaint" and steps else None,
            ),
        )
        for step in steps:
            resolution = DEMO_RESOLUTION if step == "resolve" else None
            await feedback.transition(session, system, made.id, ComplaintAction(step), resolution=resolution)
    return len(DEMO_FEEDBACK)


async def _feedback(session: AsyncSession) -> None:
    for code, owners in CLIENT_OWNERS.items():
        branch = await repository.branch_by_code(session, code)
        handler = await repository.staff_by_employee_number(session, owners[0])
        assert branch is not None and handler is not None
        async with across(session, Principal.system("demo"), branch.id) as system:
            await seed_feedback(session, system, code, handler.id, datetime.now(UTC))


# --- surveys -------------------------------------------------------------------------------------


async def _surveys(session: AsyncSession) -> None:
    """Each client branch's satisfaction and needs-analysis surveys with their responses, and the
    invitation its resolved complaint sent."""
    for code in CLIENT_OWNERS:
        branch = await repository.branch_by_code(session, code)
        assert branch is not None
        async with across(session, Principal.system("demo"), branch.id) as system:
            await survey_demo.seed(session, system, datetime.now(UTC))


# --- walk-in visits and the queue ----------------------------------------------------------------

QUEUE_BRANCH, QUEUE_TELLER, QUEUE_MANAGER = "0101", "E0101004", "E0101002"
W, CL, SV, SD, NS = (
    TicketState.WAITING,
    TicketState.CALLED,
    TicketState.SERVING,
    TicketState.SERVED,
    TicketState.NO_SHOW,
)
# A morning in 0101, in minutes before now: (line, purpose, client number suffix or None, state, issued, called,
# started, ended). Two lines: the counter (a teller) and the customer-manager desk (a customer manager).
DEMO_QUEUE = (
    (ServiceLine.COUNTER, Purpose.CASH, 1, SD, 95, 90, 89, 81),
    (ServiceLine.CUSTOMER_MANAGER, Purpose.WEALTH_ENQUIRY, 2, SD, 88, 84, 83, 62),
    (ServiceLine.COUNTER, Purpose.TRANSFER, None, SD, 80, 78, 77, 70),
    (ServiceLine.COUNTER, Purpose.CASH, None, NS, 60, 55, None, 52),
    (ServiceLine.COUNTER, Purpose.ACCOUNT_OPENING, 3, SV, 40, 12, 10, None),
    (ServiceLine.COUNTER, Purpose.CASH, None, W, 25, None, None, None),
    (ServiceLine.CUSTOMER_MANAGER, Purpose.LOAN_ENQUIRY, 4, W, 20, None, None, None),
    (ServiceLine.COUNTER, Purpose.TRANSFER, 5, W, 15, None, None, None),
    (ServiceLine.CUSTOMER_MANAGER, Purpose.WEALTH_ENQUIRY, None, W, 8, None, None, None),
    (ServiceLine.COUNTER, Purpose.OTHER, None, W, 5, None, None, None),
)
DEMO_OUTCOMES = {
    2: visits.Outcome(
        services_done=["理财产品咨询", "风险测评"],
        products_of_interest=["稳健型理财", "大额存单"],
        referral_raised=True,
        referral_note="客户下月有 50 万元定期到期，希望了解稳健型理财",
        survey_sent=True,
    ),
}


def demo_queue(
    now: datetime, local_midnight: datetime, clients: dict[int, uuid.UUID], teller: uuid.UUID, manager: uuid.UUID
) -> list[visits.PastVisit]:
    """The morning's visits, at their minutes before ``now`` (squeezed into today when it is early)."""
    span = min(timedelta(minutes=100), now - local_midnight)

    def at(minutes: int | None) -> datetime | None:
        return now - span * minutes / 100 if minutes is not None else None

    found = []
    for n, (line, purpose, suffix, state, issued, called, started, ended) in enumerate(DEMO_QUEUE, start=1):
        issued_at = at(issued)
        assert issued_at is not None
        found.append(
            visits.PastVisit(
                purpose=purpose,
                line=line,
                issued_at=issued_at,
                state=state,
                client_id=clients.get(suffix) if suffix is not None else None,
                called_at=at(called),
                started_at=at(started),
                ended_at=at(ended),
                served_by=(teller if line is ServiceLine.COUNTER else manager) if called is not None else None,
                outcome=DEMO_OUTCOMES.get(n, visits.Outcome(services_done=["柜面业务"]) if state is SD else None),
            )
        )
    return found


async def _queue(session: AsyncSession) -> None:
    """Today's queue in 0101, recorded in a few statements; once a day (a branch with visits today gets none)."""
    branch = await repository.branch_by_code(session, QUEUE_BRANCH)
    teller = await repository.staff_by_employee_number(session, QUEUE_TELLER)
    manager = await repository.staff_by_employee_number(session, QUEUE_MANAGER)
    assert branch is not None and teller is not None and manager is not None
    now = datetime.now(UTC)
    zone = ZoneInfo(branch.timezone)
    local_midnight = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), zone).astimezone(UTC)
    async with across(session, Principal.system("demo"), branch.id) as system:
        numbers = [f"{QUEUE_BRANCH}{suffix:06d}" for _, _, suffix, *_ in DEMO_QUEUE if suffix is not None]
        clients = {}
        for number in numbers:
            cards = await crm.routing_cards(session, system, None, crm.ClientFilters(client_number=number))
            if cards:
                clients[int(number[len(QUEUE_BRANCH) :])] = cards[0].client_id
        await visits.record_in_bulk(session, system, demo_queue(now, local_midnight, clients, teller.id, manager.id))


# The head-office catalogue (code, zh, en, category, risk grade, currency); the timeline's product codes
# (TD3Y, WM-R2-180, PENSION01, PAYROLL) are among them.
PRODUCTS = (
    ("SAV-CNY", "活期储蓄存款", "Demand savings", "deposit", "R1", "CNY"),
    ("PAYROLL", "代发工资账户", "Payroll account", "deposit", "R1", "CNY"),
    ("TD3M", "三个月整存整取", "3-month time deposit", "time_deposit", "R1", "CNY"),
    ("TD1Y", "一年期整存整取", "1-year time deposit", "time_deposit", "R1", "CNY"),
    ("TD3Y", "三年期大额存单", "3-year large-denomination CD", "time_deposit", "R1", "CNY"),
    ("TD-USD1Y", "美元一年期定期存款", "USD 1-year time deposit", "time_deposit", "R1", "USD"),
    ("WM-R2-180", "稳健理财180天", "Steady wealth plan, 180 days", "wealth_management", "R2", "CNY"),
    ("WM-R3-365", "进取理财一年期", "Growth wealth plan, 1 year", "wealth_management", "R3", "CNY"),
    ("FUND-MMF", "货币市场基金", "Money market fund", "fund", "R1", "CNY"),
    ("FUND-CSI300", "沪深300指数基金", "CSI 300 index fund", "fund", "R4", "CNY"),
    ("FUND-HK", "港股精选基金（港币）", "Hong Kong equity fund (HKD)", "fund", "R5", "HKD"),
    ("PENSION01", "颐养年金保险", "Retirement annuity insurance", "insurance", "R2", "CNY"),
    ("LOAN-MORT", "个人住房贷款", "Home mortgage", "loan", "R1", "CNY"),
    ("CARD-GOLD", "金卡借记卡", "Gold debit card", "card", "R1", "CNY"),
)


# The feed's rates to CNY for the demo's foreign-currency products (a plausible day's middle rates).
DEMO_RATES = {"USD": Decimal("7.1123"), "HKD": Decimal("0.91405")}


async def _holdings(session: AsyncSession) -> None:
    """The catalogue, then every demo branch's holdings fed as core banking would: set-based, a few
    statements per branch, AUM filled by the feed's own recompute (running it again changes nothing)."""
    drafts = [
        catalogue.ProductDraft(code, zh, en, ProductCategory(category), ProductRiskGrade(grade), currency)
        for code, zh, en, category, grade, currency in PRODUCTS
    ]
    await catalogue.define_products(session, Principal.system("demo"), drafts)
    today = date.today()
    for code in CLIENT_OWNERS:
        branch = await repository.branch_by_code(session, code)
        assert branch is not None
        async with across(session, Principal.system("demo"), branch.id) as system:
            await holdings_feed.record_rates(session, system, today, DEMO_RATES)
            await holdings_feed.stage_demo_holdings(session, system, [p[0] for p in PRODUCTS], today)
            await holdings_feed.apply_holdings_feed(session, system, today)


DEMO_DIRECTIVE = directives.DirectiveDraft(
    title_zh="关于加强大额现金业务客户身份识别的通知",
    title_en="On customer due diligence for large cash transactions",
    body_zh="各网点须于期限前组织学习大额现金业务客户身份识别要求，并确认已阅读理解。",
    body_en="Every branch studies the due-diligence rules for large cash transactions and attests it has "
    "read and understood them before the deadline.",
    category=DirectiveCategory.COMPLIANCE,
    effective_on=date(2026, 1, 1),
    deadline=datetime(2030, 12, 31, 9, 0, tzinfo=UTC),  # far ahead: the demo stays open to attest
    roles=["branch_head", "customer_manager", "lobby_manager", "teller", "risk_officer", "compliance_officer"],
    target=DirectiveTarget.ALL,
    attachments=["doc://compliance/aml-cash-2026"],
)


async def _directives(rt: Runtime, session: AsyncSession) -> None:
    """Head office's directive to every branch, delivered (each member who must attest is told in their
    inbox), half of 0101 attested, and a question from 0101's teller."""
    office = await repository.branch_by_code(session, "0000")
    assert office is not None
    async with across(session, Principal.system("demo"), office.id) as head_office:
        directive = await directives.current_titled(session, head_office, DEMO_DIRECTIVE.title_en)
        if directive is None:
            directive = await directives.publish(session, head_office, DEMO_DIRECTIVE)
    for demo in BRANCHES[1:]:
        branch = await repository.branch_by_code(session, demo.code)
        assert branch is not None
        async with across(session, Principal.system("demo"), branch.id) as system:
            await directives.deliver(session, system)
    attesters = [number for number, _, role in BRANCHES[2].staff if role in DEMO_DIRECTIVE.roles]
    for number in attesters[: len(attesters) // 2]:  # half of 0101 attested (a repeat keeps the first)
        staff = await repository.staff_by_employee_number(session, number)
        assert staff is not None
        member = await rt.gate.enter(session, Identity({}, staff_id=staff.id), "0101")
        await directives.attest(session, member, directive.id)
    teller = await repository.staff_by_employee_number(session, "E0101004")
    assert teller is not None
    member = await rt.gate.enter(session, Identity({}, staff_id=teller.id), "0101")
    asked = await directives.questions(session, member, None, [directive.id])
    if not asked[directive.id]:
        await directives.ask(session, member, directive.id, "单笔5万元以上的存取款是否都需要登记")


# Each demo branch's segments: (name, description, rule in the JSON form of the API's SegmentRuleInput).
DEMO_SEGMENTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("生日本周", "今天起七天内过生日的客户：生日祝福", {"birthdayWithinDays": 6}),
    ("到期提醒", "七天内有产品到期的客户：续存或转投提醒", {"maturityWithinDays": {"days": 7}}),
    ("沉睡客户", "六个月无互动、无持仓变动的客户：唤醒回访", {"lifecycle": ["dormant"]}),
    ("白金以上", "白金及私人银行客户：专属服务", {"tier": {"atLeast": "platinum"}}),
)


async def seed_segments(session: AsyncSession, system: Principal) -> segments.BranchRun:
    """The branch's demo segments (those it lacks), then one scoring run: tiers, RFM and stages in one
    statement, every segment's members in one statement each. Running it again changes nothing."""
    await segments.add_segments(session, system, [(n, d, r) for n, d, r in DEMO_SEGMENTS])
    return await segments.run_branch(session, system, "demo")


async def _segments(session: AsyncSession) -> None:
    """Tiers come from the migration (head office's ladder); each demo branch is scored once."""
    for code in CLIENT_OWNERS:
        branch = await repository.branch_by_code(session, code)
        assert branch is not None
        async with across(session, Principal.system("demo"), branch.id) as system:
            await seed_segments(session, system)


# (name, trigger, channel, title, offsets, priority, extra): one plan per trigger, in the bank's words.
DEMO_CARE_PLANS: tuple[tuple[str, str, str, str, list[int], str, dict[str, Any]], ...] = (
    ("投诉解决回访", "after_complaint", "phone", "投诉解决后回访客户满意度", [2], "urgent", {}),
    ("生日祝福", "birthday", "wechat", "微信送上生日祝福", [0], "high", {}),
    ("农历生日祝福", "birthday", "phone", "农历生日当天电话祝福", [0], "normal",
     {"birthday_calendar": care_rules.BirthdayCalendar.LUNAR}),
    ("新客户首访", "onboarding", "phone", "新客户跟进：了解需求、介绍服务", [1, 7, 30], "high", {}),
    ("到期提醒", "maturity", "phone", "产品到期前联系客户，商量续存或转购", [-7], "high", {}),
    ("接触后回访", "after_interaction", "phone", "接触后三个工作日内回访", [3], "normal", {}),
    ("身份信息到期提醒", "kyc_expiry", "sms", "提醒客户来网点更新身份信息", [-30], "normal", {}),
    ("风险测评到期提醒", "risk_expiry", "phone", "提醒客户重新做风险测评", [-30], "normal", {}),
    ("私人银行月度回访", "tier_rhythm", "visit", "私人银行客户月度拜访", [4], "high",
     {"tier": "private_banking", "every_months": 1}),
    ("白金季度回访", "tier_rhythm", "phone", "白金客户季度电话回访", [9], "normal",
     {"tier": "platinum", "every_months": 3}),
    ("沉睡客户唤醒", "dormancy", "phone", "半年未联系：电话问候，了解近况", [180], "low", {}),
)  # fmt: skip


DEMO_DUE_TODAY = 3  # follow-ups each demo customer manager finds due today (on a working day)


async def seed_care(session: AsyncSession, system: Principal, owners: list[uuid.UUID]) -> int:
    """A branch's care plans (one per trigger; a segment-entry plan for the branch's first segment, if it
    has one), the planner's run for today, and on a working day a few follow-ups due today for each customer
    manager. Plans are defined once: a branch that has any gets none. Returns the follow-ups made."""
    if not await care.count_plans(session, system):
        await care.set_settings(session, system, time(21), time(8), 3, 2)
        drafts = list(DEMO_CARE_PLANS)
        found = await segments.list_segments(session, system, PageRequest(first=1))
        if found.items:
            segment = found.items[0][1]
            entry: dict[str, Any] = {"segment_id": segment.id}
            drafts.append(
                (f"进入细分：{segment.name}"[:100], "segment_entry", "phone", "进入细分次日联系", [1], "normal", entry)
            )
        for name, trigger, channel, title, offsets, priority, extra in drafts:
            draft = care.PlanDraft(
                name=name,
                trigger=care_rules.Trigger(trigger),
                channel=care_rules.Channel(channel),
                title=title,
                offsets=offsets,
                priority=care_rules.Priority(priority),
                **extra,
            )
            await care.define_plan(session, system, draft)
    made = sum(r.created for r in await care.plan_day(session, system))
    _, today = await calendars.branch_today(session, system)
    calendar = await calendars.branch_calendar(session, system, today, today)
    if not calendar.is_working_day(today):
        return made
    for owner in owners:  # the walk-through's "my day": a few due today, moved up from the coming week
        due = care_work.FollowUpFilters(assignee_id=owner, state=care_rules.FollowUpState.OPEN)
        today_only = care_work.FollowUpFilters(
            assignee_id=owner, state=care_rules.FollowUpState.OPEN, due_from=today, due_until=today
        )
        if await care_work.count_follow_ups(session, system, today_only):
            continue
        upcoming = await care_work.list_follow_ups(session, system, PageRequest(first=DEMO_DUE_TODAY), due)
        for _, follow_up in upcoming.items:
            if follow_up.due_on > today:
                await care_work.reschedule(session, system, follow_up.id, today, "演示：今日待办")
    return made


async def _care(session: AsyncSession) -> None:
    for code, numbers in CLIENT_OWNERS.items():
        branch = await repository.branch_by_code(session, code)
        assert branch is not None
        owners = []
        for number in numbers:
            staff = await repository.staff_by_employee_number(session, number)
            assert staff is not None
            owners.append(staff.id)
        async with across(session, Principal.system("demo"), branch.id) as system:
            await seed_care(session, system, owners)


WORKING_BRANCH = "0101"


WORKING_PEOPLE = ("E0101003", "E0101002", "E0101004", "E0101001")  # lobby, customer manager, teller, head


# (client number suffix, what the lobby manager noticed, converted into (product, amount) or None: still open)
DEMO_REFERRALS = (
    (1, "客户询问大额存单利率，有50万元定期即将到期", ("CD-3Y", Decimal("500000"))),
    (2, "客户有子女留学换汇需求，想了解外汇理财", None),
)


DEMO_TICKET = ("2号窗口凭条打印机频繁卡纸", "2号窗口凭条打印机今天上午卡纸三次，影响办理速度，已临时改用3号窗口打印。")


DEMO_MEETING = (
    "周一晨会",
    "1. 上周业绩回顾 2. 到期理财客户回访 3. 大堂分流与转介",
    "上周大额存单转介成交1笔，本周重点回访下月到期的理财客户，大堂经理加强高峰期分流。",
    ["本周内回访下月到期的理财客户", "高峰期大堂经理每小时通报一次排队情况"],
)


async def seed_working_together(
    session: AsyncSession, system: Principal, code: str, now: datetime, people: tuple[str, str, str, str]
) -> int:
    """A branch's morning of working together: two referrals from the lobby to the clients' customer
    manager (one converted), an IT ticket from a teller, and last week's meeting with two action items.
    ``people``: the employee numbers of the lobby manager, the customer manager, a teller and the head.
    Recorded once: a branch with a meeting already gets none. Returns how many handoffs were raised."""
    if await meetings.count_meetings(session, system):
        return 0
    LOBBY, OWNER, TELLER, HEAD = people
    staff = {n: await repository.staff_by_employee_number(session, n) for n in people}
    ids = {n: s.id for n, s in staff.items() if s is not None}
    as_lobby = replace(system, staff_id=ids[LOBBY])  # the demo acts as the system, recorded as who would
    raised = 0
    for suffix, need, converted in DEMO_REFERRALS:
        cards = await crm.routing_cards(session, system, None, crm.ClientFilters(client_number=f"{code}{suffix:06d}"))
        client = cards[0].client_id if cards else None
        made = await handoffs.raise_handoff(
            session, as_lobby, handoffs.HandoffDraft("referral", need, client_id=client)
        )
        raised += 1
        if converted is not None:
            product, amount = converted
            for step in (HandoffAction.ACCEPT, HandoffAction.START):
                await handoffs.transition(session, system, made.id, step)
            outcome = handoffs.Outcome("客户购买三年期大额存单", converted=True, product_code=product, amount=amount)
            await handoffs.transition(session, system, made.id, HandoffAction.COMPLETE, outcome=outcome)
    title, body = DEMO_TICKET
    ticket = tickets.TicketDraft(
        ticket_rules.TicketQueue.IT_SUPPORT,
        ticket_rules.TicketCategory.HARDWARE,
        ticket_rules.Severity.HIGH,
        title,
        body,
    )
    await tickets.open_ticket(session, replace(system, staff_id=ids[TELLER]), ticket)
    raised += 1
    zone = ZoneInfo((await service.branch_by_id(session, system.branch_id)).timezone)
    today = now.astimezone(zone).date()
    last_monday = today - timedelta(days=today.weekday() + 7)
    held = datetime.combine(last_monday, datetime.min.time(), zone).replace(hour=8, minute=30)
    meeting_title, agenda, minutes, decisions = DEMO_MEETING
    items = [
        meetings.ActionItemDraft(decisions[0], ids[OWNER], today + timedelta(days=4)),
        meetings.ActionItemDraft(decisions[1], ids[LOBBY], today + timedelta(days=2)),
    ]
    draft = meetings.MeetingDraft(meeting_title, held, agenda, minutes, decisions, list(ids.values()), items)
    await meetings.record_meeting(session, replace(system, staff_id=ids[HEAD]), draft)
    return raised + len(items)


async def _working_together(session: AsyncSession) -> None:
    branch = await repository.branch_by_code(session, WORKING_BRANCH)
    assert branch is not None
    async with across(session, Principal.system("demo"), branch.id) as system:
        await seed_working_together(session, system, WORKING_BRANCH, datetime.now(UTC), WORKING_PEOPLE)
