"""Migrating routing between accounts and vendors: plan, apply, verify, rollback.

>>> from phonerouting import migration
>>> # plan = await migration.plan(source, target)
>>> # report = await migration.apply(plan, target, journal="run.sqlite", concurrency=16)
>>> # check = await migration.verify(plan, target)
>>> # check = await migration.verify_journal(target, journal="run.sqlite")
>>> # undone = await migration.rollback(target, journal="run.sqlite")
"""

from phonerouting.migration.changes import plan_changes
from phonerouting.migration.engine import (
    READ_WINDOW,
    Changed,
    Difference,
    Failure,
    FieldChange,
    Report,
    SourceChanges,
    VerifyReport,
    apply,
    drift,
    plan,
    rollback,
    verify,
    verify_journal,
)
from phonerouting.migration.plan import Change, NumberPlan, Plan, make_plan

__all__ = [
    "READ_WINDOW",
    "Change",
    "Changed",
    "Difference",
    "Failure",
    "FieldChange",
    "NumberPlan",
    "Plan",
    "Report",
    "SourceChanges",
    "VerifyReport",
    "apply",
    "drift",
    "make_plan",
    "plan",
    "plan_changes",
    "rollback",
    "verify",
    "verify_journal",
]
