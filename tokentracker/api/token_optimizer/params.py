"""Token Optimizer's common query parameters (seed 001) are the domain's own
(`usage.windows`): a refusal is a QueryInvalid, which the exception handler answers in this
contract's dialect, with its code (INVALID_GRANULARITY, ...)."""

from usage.windows import UsageQuery as OptimizerQuery
from usage.windows import flag, positive_int
from usage.windows import usage_query as optimizer_query

__all__ = ["OptimizerQuery", "flag", "optimizer_query", "positive_int"]
