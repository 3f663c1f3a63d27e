"""Planning one update over many numbers of one account: a bulk change set.

Pure, like `phonerouting.migration.plan`: it takes numbers already read and the
account's capabilities, and returns a `Plan` whose source and target are the same
account, so `phonerouting.migration.apply` runs it with the journal, compare before
write and resume it gives any migration, and `rollback` undoes it.

Rules:

* A field of the update a number already holds (empty counting as empty) is no change.
* A field the provider cannot set (or clear) is listed in `NumberPlan.unsupported`
  for each number it would have changed, never dropped in silence.
* A value the number cannot take is listed in `NumberPlan.invalid` with its reason:
  today, forwarding a number's calls to itself.
* A number held by two lines of the account is a conflict, left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from phonerouting.migration.plan import Change, NumberPlan, Plan, _index, is_empty
from phonerouting.model import Capabilities, PhoneNumber, RoutingUpdate

__all__ = ["plan_changes"]


def _value(value: Any) -> Any:
    if is_empty(value):
        return None
    return list(value) if isinstance(value, tuple) else value


def _refusal(number: PhoneNumber, field: str, value: Any) -> str | None:
    if field == "forwarding_number" and value == number.number:
        return f"{number.number} cannot forward its calls to itself"
    return None


def plan_changes(
    numbers: Iterable[PhoneNumber], update: RoutingUpdate, capabilities: Capabilities
) -> Plan:
    """The plan that applies ``update`` to each of ``numbers`` (one account's)."""
    wanted = update.changes()
    seen, twice = _index(numbers)
    plans: list[NumberPlan] = []
    for e164 in sorted(seen.keys() - twice):
        number = seen[e164]
        changes: list[Change] = []
        unsupported: list[Change] = []
        invalid: list[Change] = []
        for field, value in wanted.items():
            before, after = _value(getattr(number, field)), _value(value)
            if before == after:
                continue
            change = Change(field, before, after)
            can = capabilities.can_clear if after is None else capabilities.can_set
            if not can(field):
                unsupported.append(change)
                continue
            reason = _refusal(number, field, after)
            if reason is not None:
                invalid.append(Change(field, before, after, reason))
                continue
            changes.append(change)
        plans.append(
            NumberPlan(
                e164, number.id, number.id, tuple(changes), tuple(unsupported), tuple(invalid)
            )
        )
    return Plan(
        source=capabilities.provider,
        target=capabilities.provider,
        fields=tuple(wanted),
        numbers=tuple(plans),
        conflicts=tuple(sorted(twice)),
    )
