"""Planning a migration: what would change on the target so its routing matches the source.

Pure: it takes two listings (already read) and two capability sets, and returns a
`Plan`. Nothing is read or written here.

Rules:

* Numbers are matched by E.164 number, the key that survives a vendor switch.
* A field is in scope when it is among ``fields`` (default: every routing field) and the
  *source* provider can express it: a source that has no labels says nothing about
  labels, so the target's labels are left alone.
* An in-scope field whose source value the target cannot express is listed in
  `NumberPlan.unsupported`, never silently dropped.
* A field whose source value is empty and whose target value is set becomes a *clear*:
  after the migration, the target routes as the source did. Clears are counted apart in
  `Plan.summary`, so they are never a surprise. ``press_1_to_accept=False`` is the
  empty state of that switch (it is what clearing it sends).
* A field asked for in ``fields`` that the source cannot express is listed in
  `Plan.ignored`: the source says nothing about it, so it is left alone.
* A number present on one side only, or twice on one side, is reported, never guessed at.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from phonerouting.errors import ValidationError
from phonerouting.inputs import shown
from phonerouting.model import ROUTING_FIELDS, Capabilities, PhoneNumber, RoutingUpdate

__all__ = ["Change", "NumberPlan", "Plan", "is_empty", "make_plan"]


@attrs.frozen
class Change:
    """One field that will change on the target: ``before`` → ``after`` (None = cleared).

    ``reason`` says why a change cannot be made, for those in `NumberPlan.invalid`.
    """

    field: str
    before: Any
    after: Any
    reason: str | None = None


@attrs.frozen
class NumberPlan:
    """What the migration does to one number."""

    number: str
    source_id: str
    target_id: str
    changes: tuple[Change, ...]
    #: In-scope fields with a source value the target provider cannot express.
    unsupported: tuple[Change, ...] = ()
    #: Source values that cannot be sent as they are (a label too long or with control
    #: characters, say), each with its `Change.reason`; left out of :attr:`changes`.
    invalid: tuple[Change, ...] = ()

    def update(self) -> RoutingUpdate:
        """The RoutingUpdate that applies `changes` (empty when nothing changes)."""
        return RoutingUpdate(**{c.field: c.after for c in self.changes})

    def prior(self) -> RoutingUpdate:
        """The RoutingUpdate that puts back what `changes` replace."""
        return RoutingUpdate(**{c.field: c.before for c in self.changes})

    def desired(self) -> dict[str, Any]:
        """The target's routing fields after the migration: field → value."""
        return {c.field: c.after for c in self.changes}


@attrs.frozen
class Plan:
    """The whole migration from ``source`` to ``target``."""

    source: str
    target: str
    fields: tuple[str, ...]
    numbers: tuple[NumberPlan, ...]
    only_in_source: tuple[str, ...] = ()
    only_in_target: tuple[str, ...] = ()
    #: E.164 numbers that appear more than once on one side; they are left out.
    conflicts: tuple[str, ...] = ()
    #: Fields asked for that the source provider cannot express; left alone.
    ignored: tuple[str, ...] = ()

    @property
    def to_write(self) -> tuple[NumberPlan, ...]:
        """The numbers that have at least one change."""
        return tuple(n for n in self.numbers if n.changes)

    def summary(self) -> dict[str, int]:
        """Counts for a one-line report."""
        return {
            "matched": len(self.numbers),
            "to_write": len(self.to_write),
            "clears": sum(1 for n in self.numbers for c in n.changes if c.after is None),
            "unchanged": len(self.numbers) - len(self.to_write),
            "with_unsupported_fields": sum(1 for n in self.numbers if n.unsupported),
            "invalid_values": sum(len(n.invalid) for n in self.numbers),
            "only_in_source": len(self.only_in_source),
            "only_in_target": len(self.only_in_target),
            "conflicts": len(self.conflicts),
        }


def is_empty(value: Any) -> bool:
    """True for every way a routing field reads as "not set": None, "", an empty list,
    and False (the off state of ``press_1_to_accept``, which is what clearing sends)."""
    return value is None or value is False or value == "" or value == () or value == []


def _same(a: Any, b: Any) -> bool:
    return (is_empty(a) and is_empty(b)) or a == b


def _refusal(change: Change) -> str | None:
    """Why ``change`` could not be sent (the checks every update goes through), or None.

    A source vendor may hold what no update may send (a label past the length limit, a
    control character); found here, it is listed in the plan instead of failing the
    number at apply time.
    """
    try:
        RoutingUpdate(**{change.field: change.after})
    except ValidationError as error:
        return error.message
    return None


def _index(numbers: Iterable[PhoneNumber]) -> tuple[dict[str, PhoneNumber], set[str]]:
    by_number: dict[str, PhoneNumber] = {}
    twice: set[str] = set()
    for number in numbers:
        if number.number in by_number:
            twice.add(number.number)
        by_number[number.number] = number
    return by_number, twice


def make_plan(
    source_numbers: Iterable[PhoneNumber],
    target_numbers: Iterable[PhoneNumber],
    source_caps: Capabilities,
    target_caps: Capabilities,
    fields: Sequence[str] | None = None,
) -> Plan:
    """Plan the migration of ``source_numbers``' routing onto ``target_numbers``."""
    if isinstance(fields, str | bytes):
        # A lone name would be read letter by letter.
        raise ValidationError(
            f"fields must be a list of field names, not {shown(fields)}", field="fields"
        )
    chosen = tuple(fields) if fields is not None else ROUTING_FIELDS
    unknown = [f for f in chosen if not isinstance(f, str) or f not in ROUTING_FIELDS]
    if unknown:
        names = ", ".join(shown(f) for f in unknown)
        raise ValidationError(
            f"unknown field(s) {names}; choose from {', '.join(ROUTING_FIELDS)}",
            field="fields",
        )
    scope = tuple(f for f in chosen if source_caps.can_set(f))
    sources, dup_source = _index(source_numbers)
    targets, dup_target = _index(target_numbers)
    conflicts = dup_source | dup_target

    plans: list[NumberPlan] = []
    for e164 in sorted(sources.keys() & targets.keys() - conflicts):
        src, tgt = sources[e164], targets[e164]
        changes: list[Change] = []
        unsupported: list[Change] = []
        invalid: list[Change] = []
        for field in scope:
            after, before = getattr(src, field), getattr(tgt, field)
            if _same(before, after):
                continue
            change = Change(
                field, None if is_empty(before) else before, None if is_empty(after) else after
            )
            expressible = (
                target_caps.can_clear(field) if change.after is None else target_caps.can_set(field)
            )
            if not expressible:
                if change.after is not None:
                    unsupported.append(change)
                continue
            problem = _refusal(change)
            if problem is None:
                changes.append(change)
            else:
                invalid.append(attrs.evolve(change, reason=problem))
        plans.append(
            NumberPlan(e164, src.id, tgt.id, tuple(changes), tuple(unsupported), tuple(invalid))
        )

    return Plan(
        source=source_caps.provider,
        target=target_caps.provider,
        fields=scope,
        numbers=tuple(plans),
        only_in_source=tuple(sorted(sources.keys() - targets.keys() - conflicts)),
        only_in_target=tuple(sorted(targets.keys() - sources.keys() - conflicts)),
        conflicts=tuple(sorted(conflicts)),
        ignored=tuple(f for f in chosen if f not in scope) if fields is not None else (),
    )
