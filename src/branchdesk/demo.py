"""Demo data: a head office and three branches with staff in every role. Deterministic and idempotent,
so that later features can extend it and the README can list the sign-ins."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.identity import Identity
from branchdesk.access.principal import Principal
from branchdesk.access.registry import DataScope, data_scoped
from branchdesk.access.unit_of_work import across
from branchdesk.calendars import service as calendars
from branchdesk.credentials import service as credentials
from branchdesk.crm import bulk as crm_bulk
from branchdesk.crm import rules as crm_rules
from branchdesk.crm import service as crm
from branchdesk.crm.interactions import service as crm_interactions
from branchdesk.crm.service import ClientDraft
from branchdesk.feedback import service as feedback
from branchdesk.feedback.rules import Channel, ComplaintAction, FeedbackKind, Severity
from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.rules import HandoffAction
from branchdesk.meetings import service as meetings
from branchdesk.onboarding import service as onboarding
from branchdesk.rbac import service as rbac
from branchdesk.runtime import Runtime
from branchdesk.tenants import repository, service
from branchdesk.tenants.models import BranchLevel
from branchdesk.tickets import rules as ticket_rules
from branchdesk.tickets import service as tickets

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


def demo_clients(code: str, owners: list[uuid.UUID], today: date) -> list[ClientDraft]:
    """A branch's book: realistic names, fictitious resident IDs with correct check characters, a few
    birthdays in the coming week. The same on every run for the same day (seeded by the branch code)."""
    rng = random.Random(f"branchdesk-demo-clients-{code}")
    stages = [stage for stage, weight in LIFECYCLE_WEIGHTS for _ in range(weight)]
    drafts = []
    for i in range(CLIENTS_PER_BRANCH):
        number = f"{code}{i + 1:06d}"
        owner = owners[i % len(owners)]
        team = [owners[(i + 1) % len(owners)]] if len(owners) > 1 and i % 7 == 0 else []
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


# --- handoffs, tickets and meetings --------------------------------------------------------------

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
