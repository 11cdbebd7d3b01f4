"""Error codes of the product catalogue, the holdings feed and its exchange rates."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

UNKNOWN_PRODUCT = ErrorCode(
    "UNKNOWN_PRODUCT",
    "No product with code {code} in the catalogue{where}.",
    "产品目录中没有代码为 {code} 的产品{where_zh}。",
)
PRODUCT_CODE_FORMAT = ErrorCode(
    "PRODUCT_CODE_FORMAT",
    "A product code is 2 to 40 capital letters, digits, dots, dashes or underscores (got {code}).",
    "产品代码须为 2 至 40 位大写字母、数字、点、连字符或下划线（收到 {code}）。",
)
PRODUCT_CODE_TAKEN = ErrorCode(
    "PRODUCT_CODE_TAKEN", "Product code {code} is already in the catalogue.", "产品代码 {code} 已在目录中。"
)
PRODUCT_NAME = ErrorCode(
    "PRODUCT_NAME",
    "A product name is 1 to 100 characters, in Chinese and in English.",
    "产品名称须为 1 至 100 个字符，中英文均须填写。",
)
CURRENCY_FORMAT = ErrorCode(
    "CURRENCY_FORMAT",
    "A currency is a three-letter ISO 4217 code such as CNY, USD or HKD (got {currency}).",
    "币种须为三位 ISO 4217 字母代码，如 CNY、USD、HKD（收到 {currency}）。",
)
RATE_NOT_POSITIVE = ErrorCode(
    "EXCHANGE_RATE_NOT_POSITIVE",
    "The rate of {currency} to CNY must be a positive number (got {rate}).",
    "{currency} 兑人民币汇率须为正数（收到 {rate}）。",
)
RATE_OF_BASE = ErrorCode(
    "EXCHANGE_RATE_OF_BASE", "CNY is the base currency: its rate is always 1.", "人民币为本位币，汇率恒为 1。"
)
NO_RATES = ErrorCode("EXCHANGE_RATES_EMPTY", "Give at least one currency's rate.", "请至少提供一个币种的汇率。")
MISSING_RATE = ErrorCode(
    "MISSING_EXCHANGE_RATE",
    "No rate of {currency} to CNY on or before {as_of}: record it before feeding holdings in {currency} "
    "({count} holdings, e.g. {reference}).",
    "{as_of}（含）之前没有 {currency} 兑人民币汇率：请先登记汇率再导入该币种持仓（{count} 笔，如 {reference}）。",
)
UNKNOWN_CLIENT_NUMBER = ErrorCode(
    "HOLDING_UNKNOWN_CLIENT",
    "Holding {reference}: no client of this branch has client number {number}.",
    "持仓 {reference}：本网点没有客户号为 {number} 的客户。",
)
DUPLICATE_REFERENCE = ErrorCode(
    "HOLDING_DUPLICATE_REFERENCE",
    "Holding reference {reference} appears more than once in the feed.",
    "持仓编号 {reference} 在本次导入中出现多次。",
)
HOLDING_ROW = ErrorCode("HOLDING_INVALID", "Holding {reference}: {reason}", "持仓 {reference}：{reason_zh}")
WITHIN_DAYS = ErrorCode("HOLDING_WITHIN_DAYS", "Ask for 0 to {limit} days ahead.", "请查询今后 0 至 {limit} 天。")
FULL_BOOK_WHOLE = ErrorCode(
    "HOLDINGS_FULL_BOOK_WHOLE",
    "A full book is loaded whole: skipping invalid rows would close the holdings they name.",
    "全量持仓须整体导入：跳过无效行会关闭这些行对应的持仓。",
)
