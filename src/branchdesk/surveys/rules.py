"""The vocabulary of surveys: what a survey is for, the kinds of question and the range of each answer,
what a satisfaction survey rates, and how an invitation ended. CSAT and NPS are defined here once."""

from __future__ import annotations

import enum


class SurveyPurpose(enum.StrEnum):
    NEEDS_ANALYSIS = "needs_analysis"
    SATISFACTION = "satisfaction"


class SurveyOrigin(enum.StrEnum):
    BRANCH = "branch"  # defined by the branch for itself
    HEAD_OFFICE = "head_office"  # defined by head office and published to every branch


class QuestionKind(enum.StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE = "scale"  # 1 to 5
    NPS = "nps"  # 0 to 10: how likely to recommend
    TEXT = "text"


class SubjectType(enum.StrEnum):
    """What a satisfaction response rates: one generic reference (type + id)."""

    VISIT = "visit"
    COMPLAINT = "complaint"
    FOLLOW_UP = "follow_up"


# The table a rated visit or follow-up lives in (checked to exist in the branch; a complaint is read whole).
SUBJECT_TABLES = {SubjectType.VISIT: "visits", SubjectType.FOLLOW_UP: "follow_ups"}


class InvitationStatus(enum.StrEnum):
    SENT = "sent"
    NOT_SENT = "not_sent"
    ANSWERED = "answered"


class NotSentReason(enum.StrEnum):
    ANONYMOUS = "anonymous"  # the complaint names no client
    DO_NOT_CONTACT = "do_not_contact"
    NO_CONSENT = "no_consent"  # no channel a survey can be sent on
    NO_SURVEY = "no_survey"  # the branch has no satisfaction survey


class ResultGrouping(enum.StrEnum):
    BRANCH = "branch"
    STAFF = "staff"
    MONTH = "month"


SCALE_RANGE = (1, 5)
NPS_RANGE = (0, 10)
SATISFIED_FROM = 4  # CSAT: the share of scale answers of 4 or 5
PROMOTER_FROM, DETRACTOR_UP_TO = 9, 6  # NPS: % answering 9-10 minus % answering 0-6
MAX_QUESTIONS, MAX_OPTIONS = 50, 20
# Channels an invitation can reach a client on, in the order tried (a visit or a call carries no link).
INVITATION_CHANNELS = ("sms", "wechat", "email")

RANGES = {QuestionKind.SCALE: SCALE_RANGE, QuestionKind.NPS: NPS_RANGE}
CHOICES = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)


def csat(satisfied: int, answered: int) -> float | None:
    """Percent of scale answers that are satisfied (4-5); None without any."""
    return round(100.0 * satisfied / answered, 1) if answered else None


def nps(promoters: int, detractors: int, answered: int) -> float | None:
    """Percent promoters minus percent detractors (-100 to 100); None without any NPS answer."""
    return round(100.0 * (promoters - detractors) / answered, 1) if answered else None


LABELS: dict[type[enum.Enum], dict[str, tuple[str, str]]] = {
    SurveyPurpose: {
        "needs_analysis": ("Needs analysis", "客户需求分析"),
        "satisfaction": ("Satisfaction", "满意度"),
    },
    SurveyOrigin: {
        "branch": ("Defined by the branch", "网点自定义"),
        "head_office": ("Published by head office", "总行发布"),
    },
    QuestionKind: {
        "single_choice": ("Single choice", "单选"),
        "multiple_choice": ("Multiple choice", "多选"),
        "scale": ("Scale 1 to 5", "1-5 分量表"),
        "nps": ("Net promoter score 0 to 10", "净推荐值 0-10 分"),
        "text": ("Free text", "文字回答"),
    },
    SubjectType: {
        "visit": ("A visit", "到访服务"),
        "complaint": ("A complaint", "投诉处理"),
        "follow_up": ("A follow-up", "客户跟进"),
    },
    InvitationStatus: {
        "sent": ("Sent", "已发送"),
        "not_sent": ("Not sent", "未发送"),
        "answered": ("Answered", "已回复"),
    },
    NotSentReason: {
        "anonymous": ("The complaint names no client", "投诉未关联客户"),
        "do_not_contact": ("The client asked not to be contacted", "客户要求免打扰"),
        "no_consent": ("No consent to a channel a survey can be sent on", "客户未同意可发送问卷的联系渠道"),
        "no_survey": ("The branch has no satisfaction survey", "网点没有满意度问卷"),
    },
    ResultGrouping: {
        "branch": ("Per branch", "按网点"),
        "staff": ("Per staff member rated", "按被评价员工"),
        "month": ("Per month", "按月"),
    },
}
