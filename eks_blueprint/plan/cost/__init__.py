"""``plan cost``: the monthly baseline and ceiling of an environment, from its template and
a dated price table (:mod:`.plan`); the table (:mod:`.prices`) and what the template
deploys (:mod:`.inventory`)."""

from __future__ import annotations

from .plan import HOURS_PER_MONTH, LineItem, cost_change_sentence, plan_cost
from .prices import PriceTable, PriceTableError, load_price_table, parse_price_table

__all__ = [
    "HOURS_PER_MONTH",
    "LineItem",
    "PriceTable",
    "PriceTableError",
    "cost_change_sentence",
    "load_price_table",
    "parse_price_table",
    "plan_cost",
]
