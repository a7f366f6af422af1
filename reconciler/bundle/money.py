"""Money and budgets as bundles and Costs documents write them: `"0.40 USD"` or `{amount: 0.40, currency: USD}`,
and `limits: {maxRunsPerDay, maxMonthlyCost, maxConcurrent}`. Pure: loaded data in, values or located
problems out.

Amounts are `Decimal`, never float: a cost forecast multiplies a price by thousands of runs, and a binary
fraction would print `287.99999999999997 USD`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from reconciler.bundle.document import Document

Path_ = tuple[str | int, ...]
Report = Callable[[Path_, str], None]

_MONEY_TEXT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s+([A-Z]{3})\s*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_AMOUNT_TEXT = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
MAX_AMOUNT = Decimal("1000000000000")  # far beyond any price or budget; bounds the arithmetic and the output
MONEY_HELP = 'write money as "0.40 USD" or {amount: 0.40, currency: USD} (an ISO 4217 code, 3 capitals)'
LIMIT_KEYS = ("maxRunsPerDay", "maxMonthlyCost", "maxConcurrent")


@dataclass(frozen=True, order=True)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{format_amount(self.amount)} {self.currency}"


@dataclass(frozen=True, order=True)
class Where:
    """A place in a file, 1-based, as messages print it (`costs.yaml:7:20`)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Limits:
    """A budget for an agent (Costs document) or a bundle's schedules (a bundle's `limits:`); None = no limit.

    `where` holds the place of each limit that is set, by its YAML key (`maxRunsPerDay`): a breach names it."""

    max_runs_per_day: int | None = None
    max_monthly_cost: Money | None = None
    max_concurrent: int | None = None
    where: dict[str, Where] = field(default_factory=dict, compare=False)

    @property
    def empty(self) -> bool:
        return self.max_runs_per_day is None and self.max_monthly_cost is None and self.max_concurrent is None


def format_amount(amount: Decimal) -> str:
    """At least two decimals (`288.00`), more only where the amount has them (`0.015`)."""
    quantised = amount.quantize(Decimal("0.01")) if amount == amount.quantize(Decimal("0.01")) else amount
    return f"{quantised:f}"


def where_of(document: Document, path: Path_) -> Where:
    mark = document.mark(path)
    return Where(document.file, mark.line, mark.col)


def parse_money(value: Any, path: Path_, report: Report) -> Money | None:
    """`"0.40 USD"`, or a mapping `{amount, currency}` whose amount may be a YAML number or text."""
    if isinstance(value, str):
        match = _MONEY_TEXT.match(value)
        if match is None:
            report(path, f"'{value[:60]}' is not money: {MONEY_HELP}")
            return None
        return _bounded(Money(Decimal(match.group(1)), match.group(2)), path, report)
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"amount", "currency"})
        for key in unknown:
            report((*path, key), f"unknown field '{key}' in money: {MONEY_HELP}")
        amount, currency = value.get("amount"), value.get("currency")
        if not isinstance(currency, str) or not _CURRENCY.match(currency):
            report(
                (*path, "currency") if "currency" in value else path, f"a currency is required: {MONEY_HELP}"
            )
            return None
        parsed = _amount(amount)
        if parsed is None:
            report(
                (*path, "amount") if "amount" in value else path,
                f"a non-negative amount is required: {MONEY_HELP}",
            )
            return None
        return None if unknown else _bounded(Money(parsed, currency), path, report)
    report(path, f"{type(value).__name__} is not money: {MONEY_HELP}")
    return None


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value) if value >= 0 else None
    if isinstance(value, float):
        # The loader read a YAML float; its shortest repr is the text the author wrote (0.4 for 0.40).
        text = repr(value)
        return Decimal(text) if _AMOUNT_TEXT.match(text) else None
    if isinstance(value, str) and _AMOUNT_TEXT.match(value.strip()):
        return Decimal(value.strip())
    return None


def _bounded(money: Money, path: Path_, report: Report) -> Money | None:
    try:
        too_large = money.amount > MAX_AMOUNT
    except InvalidOperation:  # pragma: no cover - the patterns admit only plain decimals
        too_large = True
    if too_large:
        report(path, f"{money} is more than {format_amount(MAX_AMOUNT)}: not a price or a budget")
        return None
    return money


def parse_limits(document: Document, value: Any, path: Path_, report: Report) -> Limits:
    """A `limits:` mapping: positive whole numbers of runs, money for the monthly cost. Problems reported."""
    if value is None:
        return Limits()
    if not isinstance(value, dict):
        report(path, f"limits must be a mapping with {', '.join(LIMIT_KEYS)}")
        return Limits()
    for key in sorted(set(value) - set(LIMIT_KEYS)):
        report((*path, key), f"unknown field '{key}' in limits; known: {', '.join(LIMIT_KEYS)}")
    counts: dict[str, int | None] = {}
    for key in ("maxRunsPerDay", "maxConcurrent"):
        number = value.get(key)
        if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 1):
            report((*path, key), f"{key} must be a whole number of at least 1, got {number!r}"[:200])
            number = None
        counts[key] = number
    cost = value.get("maxMonthlyCost")
    money = parse_money(cost, (*path, "maxMonthlyCost"), report) if cost is not None else None
    where = {key: where_of(document, (*path, key)) for key in LIMIT_KEYS if value.get(key) is not None}
    return Limits(counts["maxRunsPerDay"], money, counts["maxConcurrent"], where)
