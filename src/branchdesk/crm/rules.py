"""What a client's data must look like: the closed vocabularies, resident ID numbers (GB 11643) and phones.

Pure functions, no database: the service calls them before anything is written, collecting every
field's error so the caller sees them all at once.
"""

from __future__ import annotations

import enum
import operator
import re
from dataclasses import dataclass
from datetime import date, timedelta

from branchdesk.crm import errors
from branchdesk.platform import lunar
from branchdesk.platform.contact import is_mainland_mobile, is_phone, normal_phone
from branchdesk.platform.errors import DomainError


class ClientKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    COMPANY = "company"


class IdDocumentType(enum.StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证 (mainland), checked with its GB 11643 check character
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"  # 外国人永久居留身份证
    BUSINESS_LICENCE = "business_licence"  # 统一社会信用代码 (companies)
    OTHER = "other"


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class RiskGrade(enum.StrEnum):
    """Risk tolerance from the suitability assessment, C1 (conservative) to C5 (aggressive)."""

    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"


class KycStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    EXPIRED = "expired"
    REJECTED = "rejected"


class LifecycleStage(enum.StrEnum):
    PROSPECT = "prospect"
    NEW = "new"
    ACTIVE = "active"
    DORMANT = "dormant"
    LOST = "lost"


class ContactChannel(enum.StrEnum):
    PHONE = "phone"
    SMS = "sms"
    WECHAT = "wechat"
    EMAIL = "email"
    VISIT = "visit"


CHANNEL_ZH = {"phone": "电话", "sms": "短信", "wechat": "微信", "email": "电子邮件", "visit": "上门拜访"}
# Channels that reach the client through their mobile number.
NEEDS_PHONE = frozenset({ContactChannel.PHONE, ContactChannel.SMS, ContactChannel.WECHAT})

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")


def check_character(first17: str) -> str:
    """The GB 11643 check character of a resident ID number's first 17 digits."""
    if len(first17) != len(_WEIGHTS):
        raise ValueError("a resident ID number's check character follows 17 digits")
    return _CHECK[sum(map(operator.mul, map(int, first17), _WEIGHTS)) % 11]


@dataclass(frozen=True)
class ResidentId:
    number: str
    birthday: date
    gender: Gender


def parse_resident_id(value: str, *, field: str = "idNumber") -> ResidentId:
    """A mainland resident ID number checked (format, birth date, check character); upper-case X."""
    number = value.strip().upper()
    if not _RESIDENT_ID.match(number):
        raise DomainError(errors.ID_NUMBER_FORMAT, field=field)
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise DomainError(errors.ID_NUMBER_FORMAT, field=field) from None
    if born.year < 1900:
        raise DomainError(errors.ID_NUMBER_FORMAT, field=field)
    expected = check_character(number[:17])
    if number[17] != expected:
        raise DomainError(errors.ID_CHECK_DIGIT, field=field, expected=expected)
    return ResidentId(number, born, Gender.MALE if int(number[16]) % 2 else Gender.FEMALE)


def normalise_id_number(id_type: IdDocumentType, value: str) -> str:
    """The form an ID number is stored and hashed in: trimmed, upper case (resident IDs checked)."""
    if id_type is IdDocumentType.RESIDENT_ID:
        return parse_resident_id(value).number
    return value.strip().upper()


def normalise_phone(value: str, *, field: str = "phone") -> str:
    """A phone as stored: an 11-digit mainland mobile, or E.164. Spaces, dashes and brackets are dropped."""
    phone = normal_phone(value)
    if is_phone(phone):
        return phone
    raise DomainError(errors.PHONE_FORMAT, field=field)


def phone_search_key(phone: str) -> str:
    """The form a phone is hashed in, so that 13812345678 and +8613812345678 find each other."""
    return f"+86{phone}" if is_mainland_mobile(phone) else phone


def mask_name(name: str) -> str:
    """A name as a routing card shows it: 王** (欧阳** for a four-character name, most often a compound
    surname), the first two characters of a longer (company) name."""
    if len(name) <= 1:
        return "*"
    keep = 1 if len(name) <= 3 else 2
    return name[:keep] + "*" * min(len(name) - keep, 6)


def month_days_within(today: date, days: int) -> list[int]:
    """The month-and-day values (``month * 100 + day``) from today for ``days`` days, for a birthday
    filter: a 29 February birthday is celebrated on 28 February in a common year."""
    found: list[int] = []
    for offset in range(max(0, min(days, 366)) + 1):
        day = today + timedelta(days=offset)
        found.append(day.month * 100 + day.day)
        if day.month == 2 and day.day == 28 and (day + timedelta(days=1)).month == 3:
            found.append(229)
    return sorted(set(found))


# Labels of each value, English and Chinese (the API describes its enums with them).
LABELS: dict[type[enum.Enum], dict[str, tuple[str, str]]] = {
    ClientKind: {"individual": ("Individual", "个人客户"), "company": ("Company", "对公客户")},
    IdDocumentType: {
        "resident_id": ("Mainland resident ID card", "居民身份证"),
        "passport": ("Passport", "护照"),
        "hk_macao_permit": ("Mainland travel permit for Hong Kong and Macao residents", "港澳居民来往内地通行证"),
        "taiwan_permit": ("Mainland travel permit for Taiwan residents", "台湾居民来往大陆通行证"),
        "foreign_permanent_resident": ("Foreign permanent resident ID card", "外国人永久居留身份证"),
        "business_licence": ("Business licence (unified social credit code)", "营业执照（统一社会信用代码）"),
        "other": ("Other document", "其他证件"),
    },
    Gender: {"female": ("Female", "女"), "male": ("Male", "男"), "unknown": ("Not stated", "未说明")},
    RiskGrade: {
        "C1": ("C1 conservative", "C1 保守型"),
        "C2": ("C2 cautious", "C2 稳健型"),
        "C3": ("C3 balanced", "C3 平衡型"),
        "C4": ("C4 growth", "C4 成长型"),
        "C5": ("C5 aggressive", "C5 进取型"),
    },
    KycStatus: {
        "pending": ("Pending", "待核实"),
        "verified": ("Verified", "已核实"),
        "expired": ("Expired", "已过期"),
        "rejected": ("Rejected", "未通过"),
    },
    LifecycleStage: {
        "prospect": ("Prospect", "潜在客户"),
        "new": ("New", "新客户"),
        "active": ("Active", "活跃客户"),
        "dormant": ("Dormant", "休眠客户"),
        "lost": ("Lost", "流失客户"),
    },
    ContactChannel: {
        "phone": ("Phone call", "电话"),
        "sms": ("SMS", "短信"),
        "wechat": ("WeChat", "微信"),
        "email": ("E-mail", "电子邮件"),
        "visit": ("Visit", "上门拜访"),
    },
}


# --- interactions (the client timeline) ----------------------------------------------------------


def lunar_birthday_problems(given: lunar.LunarBirthday, birthday: date | None) -> list[DomainError]:
    """What is wrong with a lunar birthday, each naming its part. Without a year only the ranges can be
    checked: every month number has 30 days in some years and a leap month in some. With the solar
    birthday the year of birth is known, and a 30th or a leap month that year did not have is refused.
    The lunar year of birth is the one the solar birthday falls in, or, for an ID card that records the
    lunar date as if it were solar (common for clients born before the 1980s), the card's year: only what
    neither year had is refused."""
    problems = []
    if not 1 <= given.month <= 12:
        problems.append(DomainError(errors.LUNAR_MONTH, field="lunarBirthday.month"))
    if not 1 <= given.day <= 30:
        problems.append(DomainError(errors.LUNAR_DAY, field="lunarBirthday.day"))
    if problems or birthday is None or not lunar.FIRST_YEAR < birthday.year < lunar.LAST_YEAR:
        return problems
    years = sorted({lunar.lunar_day(birthday).year, birthday.year})
    if any(lunar.is_possible(year, given) for year in years):
        return []
    month_zh = lunar.MONTH_NAMES[given.month - 1] + "月"
    year = "/".join(map(str, years))
    if given.leap and all(lunar.leap_month_of(y) != given.month for y in years):
        return [
            DomainError(
                errors.LUNAR_NO_LEAP_MONTH, field="lunarBirthday.isLeapMonth", year=year, month=given.month,
                month_zh=month_zh,
            )
        ]  # fmt: skip
    label = ("leap month " if given.leap else "month ") + str(given.month)
    month_zh = ("闰" if given.leap else "") + month_zh
    return [
        DomainError(errors.LUNAR_NO_THIRTIETH, field="lunarBirthday.day", year=year, month=label, month_zh=month_zh)
    ]


class InteractionKind(enum.StrEnum):
    CALL = "call"
    VISIT = "visit"
    MESSAGE = "message"
    MEETING = "meeting"
    NOTE = "note"


class InteractionChannel(enum.StrEnum):
    PHONE = "phone"
    SMS = "sms"
    WECHAT = "wechat"
    EMAIL = "email"
    BRANCH = "branch"  # at the branch's counter or lobby
    ON_SITE = "on_site"  # at the client's home or company
    VIDEO = "video"
    OTHER = "other"


LABELS[InteractionKind] = {
    "call": ("Call", "电话沟通"),
    "visit": ("Visit", "拜访"),
    "message": ("Message", "消息"),
    "meeting": ("Meeting", "会面"),
    "note": ("Note", "备注"),
}
LABELS[InteractionChannel] = {
    "phone": ("Phone", "电话"),
    "sms": ("SMS", "短信"),
    "wechat": ("WeChat", "微信"),
    "email": ("E-mail", "电子邮件"),
    "branch": ("At the branch", "网点面谈"),
    "on_site": ("At the client's premises", "上门"),
    "video": ("Video call", "视频"),
    "other": ("Other", "其他"),
}
