"""Error codes of surveys."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

TITLE_LENGTH = ErrorCode(
    "SURVEY_TITLE_LENGTH",
    "A title is 1 to 200 characters, in Chinese and in English.",
    "问卷标题中英文均须为 1 至 200 个字符。",
)
NO_QUESTIONS = ErrorCode("SURVEY_NO_QUESTIONS", "A survey asks 1 to {max} questions.", "问卷须包含 1 至 {max} 个问题。")
PROMPT_LENGTH = ErrorCode(
    "SURVEY_PROMPT_LENGTH",
    "A question is 1 to 500 characters, in Chinese and in English.",
    "问题中英文均须为 1 至 500 个字符。",
)
OPTIONS = ErrorCode(
    "SURVEY_OPTIONS",
    "A choice question has 2 to {max} options, each named in Chinese and in English (1 to 200 characters); "
    "other kinds have none.",
    "选择题须有 2 至 {max} 个选项，每项均有中英文名称（1 至 200 个字符），其他题型不设选项。",
)
SATISFACTION_SCORE = ErrorCode(
    "SURVEY_SATISFACTION_SCORE",
    "A satisfaction survey asks at least one scale (1-5) or NPS (0-10) question.",
    "满意度问卷须至少包含一道 1-5 分量表题或 0-10 分净推荐值题。",
)
ANSWER_REQUIRED = ErrorCode(
    "SURVEY_ANSWER_REQUIRED", "Question {position} must be answered.", "第 {position} 题为必答题。"
)
UNKNOWN_QUESTION = ErrorCode(
    "SURVEY_UNKNOWN_QUESTION",
    "The survey has no question {position} (questions 1 to {count}), or it is answered twice.",
    "问卷没有第 {position} 题（共 {count} 题），或该题重复作答。",
)
ANSWER_KIND = ErrorCode(
    "SURVEY_ANSWER_KIND",
    "Question {position} is {kind}: answer it with {expected}.",
    "第 {position} 题为“{kind_zh}”，请以 {expected} 作答。",
)
ANSWER_RANGE = ErrorCode(
    "SURVEY_ANSWER_RANGE",
    "Question {position} takes a value from {low} to {high}.",
    "第 {position} 题的答案须在 {low} 至 {high} 之间。",
)
SUBJECT_NOT_RATED = ErrorCode(
    "SURVEY_SUBJECT_NOT_RATED",
    "Only a satisfaction survey rates a visit, complaint or follow-up; name both its type and id.",
    "仅满意度问卷可关联被评价的到访、投诉或跟进，且须同时提供类型与编号。",
)
INVITATION_USED = ErrorCode(
    "SURVEY_INVITATION_USED",
    "This invitation has been answered already, or was never sent.",
    "该问卷邀请已作答或未曾发送。",
)
PERIOD = ErrorCode(
    "SURVEY_PERIOD", "A period runs from a day to the same or a later day.", "统计期间的结束日期不能早于开始日期。"
)
NOT_PUBLISHABLE = ErrorCode(
    "SURVEY_NOT_PUBLISHABLE",
    "Only head office publishes, and only a survey it defined itself.",
    "仅总行可发布问卷，且仅限总行自己定义的问卷。",
)
SURVEY_REQUIRED = ErrorCode(
    "SURVEY_REQUIRED",
    "Name the survey answered, or give the invitation's token.",
    "请指定所答问卷，或提供问卷邀请的令牌。",
)
