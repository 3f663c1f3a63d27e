"""The service's work, free of any HTTP framework: accounts and their clients, the
inventory and its refreshes, single edits, change sets and migrations, the audit trail.

The HTTP layer (`phonerouting.server.app`) only parses requests, checks tokens and
renders answers; a web console or a command can drive this same class.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import attrs
from cattrs.preconf.json import make_converter

from phonerouting import migration
from phonerouting.errors import NotFoundError, RoutingError, ValidationError
from phonerouting.migration.journal import JournalStore, SQLiteJournal, StepState
from phonerouting.migration.plan import Plan
from phonerouting.model import (
    ROUTING_FIELDS,
    Capabilities,
    PhoneNumber,
    RoutingUpdate,
    UpdateResult,
)
from phonerouting.protocol import AsyncPhoneNumberRouting
from phonerouting.serialize import to_data
from phonerouting.server.auth import Principal
from phonerouting.server.config import ServerConfig
from phonerouting.server.problems import JobStateError, PreconditionFailedError
from phonerouting.store import (
    AccountHealth,
    AuditEntry,
    AuditQuery,
    Job,
    NumberQuery,
    StoredNumber,
)

__all__ = ["Service", "check_fields", "etag", "now"]

logger = logging.getLogger("phonerouting.server")
_T = TypeVar("_T")
_plans = make_converter()

#: Job states a run may start from, and those it ends in.
_APPLICABLE = ("planned", "failed")
_READ_PAGE = 5_000
#: Seconds a lease (an account's refresh, a job's run) lasts unless renewed; its holder
#: renews it every third of that, so an instance that died frees it within this time.
_LEASE = 30.0

#: What a resumed run's audit entries recorded from the journal say: a write the
#: journal holds as done whose entry the stop cut off, and one in flight at the stop.
_LANDED = (
    "the service stopped before this write's audit entry was committed; recorded from "
    "the journal, which holds it as written, when the run resumed"
)
_IN_FLIGHT = (
    "the service stopped with this write in flight (it may have landed); recorded from "
    "the journal when the run resumed"
)

#: How often an instance looks for runs no instance holds (their instance died).
_ADOPT_EVERY = 60.0
_NO_ACCOUNT = "Check the account's name: GET /api/v1/accounts lists those this token sees."


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return ""


#: This process, as lease owners name it: host, PID namespace (containers on one host
#: may share a host name, not a PID namespace) and PID.
_PROCESS = f"{socket.gethostname()}:{_pid_namespace()}:{os.getpid()}"


def _dead(owner: str) -> bool:
    """True when the lease owner ``owner`` was a process of this machine (and PID
    namespace) that no longer runs; False when it may run, or cannot be told."""
    process = owner.rpartition(":")[0]
    where, _, pid = process.rpartition(":")
    here = _PROCESS.rpartition(":")[0]
    if where != here or where.endswith(":") or not pid.isdigit():
        return False  # another machine's (or unknown): only its lease's expiry tells
    if int(pid) == os.getpid():
        return False  # another service of this process: it may well run
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it runs, as another user
    return False


def now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Routing values as JSON data (lists for tuples), as `to_data` gives them, without
    walking the rest of a number (its vendor payload above all)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def etag(account: str, number: PhoneNumber) -> str:
    """The ETag of a number's routing in an account: changes when any routing field does."""
    text = json.dumps([account, number.id, number.number, _plain(number.routing())], sort_keys=True)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _describe(error: BaseException) -> str:
    if isinstance(error, RoutingError):
        return f"{type(error).__name__}: {error.describe()}"
    return type(error).__name__


def _routing_of(number: PhoneNumber | None, fields: Sequence[str]) -> dict[str, Any] | None:
    if number is None:
        return None
    return _plain({f: getattr(number, f) for f in fields})


async def _result(
    client: AsyncPhoneNumberRouting,
    number_id: str,
    update: RoutingUpdate,
    *,
    current: PhoneNumber | None = None,
    state: Mapping[str, Any] | None = None,
) -> UpdateResult:
    """Write through ``client`` with the vendor's request id of the answer when the
    client tells it (the library's clients do; any other `AsyncPhoneNumberRouting`
    writes with no request id to record). ``current``, the number just read, spares
    the library's client a second read (`AsyncClient.update_routing`)."""
    if state is not None:
        restoring = getattr(client, "restore_routing_result", None)
        if restoring is not None:
            result: UpdateResult = await restoring(number_id, update, state)
            return result
        plain = getattr(client, "restore_routing", None)
        if plain is not None:
            return UpdateResult(await plain(number_id, update, state))
    with_id = getattr(client, "update_routing_result", None)
    if with_id is not None:
        answered: UpdateResult = await with_id(number_id, update, current=current)
        return answered
    return UpdateResult(await client.update_routing(number_id, update))


def _reads_before(client: AsyncPhoneNumberRouting, update: RoutingUpdate) -> bool:
    """Whether the library reads the number before sending ``update`` (its adapter
    says so); True for a client without one, which may need anything."""
    adapter = getattr(client, "adapter", None)
    return adapter is None or bool(adapter.reads_before_update(update))


class _Audited:
    """An account's client whose every write goes to the audit trail and the
    inventory: the engine, and single edits, write through it, so no write escapes."""

    def __init__(
        self,
        service: Service,
        account: str,
        client: AsyncPhoneNumberRouting,
        actor: str,
        action: str,
        job: str | None,
    ) -> None:
        self._service = service
        self._account = account
        self._client = client
        self._actor = actor
        self._action = action
        self._job = job
        self._seen: dict[str, PhoneNumber] = {}
        #: What the audit entry of a write says of its "before", when not read just now.
        self._notes: dict[str, str] = {}
        #: When each number written was recorded in the inventory.
        self.read_at: dict[str, datetime] = {}

    @property
    def provider(self) -> str:
        """The provider name."""
        return self._client.provider

    @property
    def capabilities(self) -> Capabilities:
        """What the provider can set and clear."""
        return self._client.capabilities

    async def list_numbers(self) -> AsyncIterator[PhoneNumber]:
        """Every number of the account (each remembered as read just now)."""
        async for number in self._client.list_numbers():
            self._seen[number.id] = number
            yield number

    async def get_number(self, number_id: str) -> PhoneNumber:
        """One number by id."""
        number = await self._client.get_number(number_id)
        self._seen[number_id] = number
        return number

    async def find_number(self, number: str) -> PhoneNumber:
        """One number by E.164 number."""
        found = await self._client.find_number(number)
        self._seen[found.id] = found
        return found

    def knows(self, number_id: str) -> bool:
        """Whether a copy of the number is at hand (read, or from the inventory)."""
        return number_id in self._seen

    def known(self, stored: StoredNumber) -> None:
        """Take the inventory's copy of a number as what it held before a write (no
        read from the vendor); the audit entry says so, with the copy's read time."""
        self._seen[stored.number.id] = stored.number
        self._notes[stored.number.id] = (
            f"before as the inventory held it, read at {stored.read_at.isoformat()}"
        )

    async def _write(
        self, number_id: str, update: RoutingUpdate, call: Awaitable[UpdateResult]
    ) -> PhoneNumber:
        fields = tuple(update.changes())
        before = self._seen.get(number_id)

        def entry(
            outcome: str,
            *,
            number: str | None = before.number if before else None,
            after: dict[str, Any] | None = None,
            vendor_request_id: str | None = None,
            detail: str | None = self._notes.get(number_id),
        ) -> AuditEntry:
            # Built once, with its outcome (a run makes one per number it writes).
            return AuditEntry(
                at=at,
                actor=self._actor,
                action=self._action,
                account=self._account,
                outcome=outcome,
                number=number,
                number_id=number_id,
                before=_routing_of(before, fields),
                after=after,
                vendor_request_id=vendor_request_id,
                detail=detail,
                job=self._job,
            )

        at = now()
        try:
            result = await call
        except RoutingError as error:
            await self._service.store.append_audit(
                [entry("failed", vendor_request_id=error.request_id, detail=_describe(error))]
            )
            raise
        except BaseException:
            # Cancelled (shutdown) with the write in flight: it may have landed.
            await asyncio.shield(
                self._service.store.append_audit(
                    [entry("interrupted", detail="the service stopped")]
                )
            )
            raise
        after = result.number
        # Forgotten once written: a run reads each number just before its write, so a
        # copy of every number of a 10,000-number run (vendor payload and all) kept to
        # the end of the run would be memory held for nothing.
        self._seen.pop(number_id, None)
        self._notes.pop(number_id, None)
        read_at = self.read_at[number_id] = now()
        await self._service.store.record_write(
            entry(
                "written",
                number=after.number,
                after=_routing_of(after, fields),
                vendor_request_id=result.request_id,
            ),
            after,
            read_at,
        )
        return after

    async def update_routing(
        self, number_id: str, update: RoutingUpdate, *, current: PhoneNumber | None = None
    ) -> PhoneNumber:
        """Write ``update``, recorded in the audit trail and the inventory; ``current``
        is the number as just read (the engine's compare-before-write read)."""
        call = _result(self._client, number_id, update, current=current)
        return await self._write(number_id, update, call)

    async def restore_routing(
        self, number_id: str, update: RoutingUpdate, state: Mapping[str, Any]
    ) -> PhoneNumber:
        """As `update_routing`, also putting back vendor state (rollbacks)."""
        call = _result(self._client, number_id, update, state=state)
        return await self._write(number_id, update, call)

    async def close(self) -> None:
        """The service owns the client: nothing to close here."""

    async def __aenter__(self) -> _Audited:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


@attrs.define
class _Watch:
    """Where a running job stands, and who listens to it."""

    progress: dict[str, Any] = attrs.Factory(dict)
    listeners: list[asyncio.Queue[dict[str, Any]]] = attrs.Factory(list)

    def tell(self, event: dict[str, Any]) -> None:
        for queue in self.listeners:
            queue.put_nowait(event)


class Service:
    """The service over ``config``'s accounts and store. `start` before use (the app
    does it on its first request or at startup), `close` at the end."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.store = config.store
        self.clients: dict[str, AsyncPhoneNumberRouting] = {}
        #: Accounts that could not be connected, and why.
        self.broken: dict[str, RoutingError] = {}
        self.loaded = False
        self.started = False
        self._start_lock = asyncio.Lock()
        self._refreshing: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._watches: dict[str, _Watch] = {}
        self._initial: asyncio.Task[None] | None = None
        self._health: dict[str, AccountHealth] = {}
        #: Who this service is, as the owner of the store's leases: of several
        #: instances on one store, one refreshes an account and one runs a job.
        self.instance = f"{_PROCESS}:{secrets.token_hex(4)}"

    # ------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Open the store, connect the accounts, read the inventory (in the background
        unless ``wait_for_inventory``) and resume the runs a stop interrupted."""
        if self.started:  # every request calls this: no lock once started
            return
        async with self._start_lock:
            if self.started:
                return
            await self.store.open()
            for name, spec in self.config.accounts.items():
                self._refreshing[name] = asyncio.Lock()
                try:
                    self.clients[name] = spec.connect()
                except RoutingError as error:
                    self.broken[name] = error
                    await self._set_health(
                        attrs.evolve(
                            await self.health(name),
                            last_error_at=now(),
                            last_error=_describe(error),
                        )
                    )
            self.started = True
            self._initial = self._spawn(self._first_reads())
            if self.config.wait_for_inventory:
                await asyncio.shield(self._initial)
            if self.config.refresh_max_age is not None:
                self._spawn(self._keep_fresh(self.config.refresh_max_age))
            self._spawn(self._adopt_orphans())

    async def _first_reads(self) -> None:
        await asyncio.gather(
            *(self._first_read(name) for name in self.clients), return_exceptions=True
        )
        self.loaded = True
        await self._resume()

    async def _first_read(self, account: str) -> None:
        max_age = self.config.refresh_max_age
        if max_age is not None:
            # Read less than max_age ago (by another instance on the store, or by this
            # one before a restart): the inventory is as fresh as a refresh would keep it.
            health = self._health[account] = await self.store.health(account)
            last = health.last_success_at
            if last is not None and not health.stale and (now() - last).total_seconds() < max_age:
                return
        await self.refresh(account)

    async def _resume(self) -> None:
        for job in await self.store.jobs_in(("applying", "rolling_back")):
            if job.id in self._runs:
                continue
            # Stopped or killed during a run: the journal says where it was. Another
            # instance on the store that runs it holds its lease: `_run` leaves it be.
            actor = str(job.progress.get("actor", job.created_by))
            rollback = job.state == "rolling_back"
            self._runs[job.id] = self._spawn(self._run(job, actor, rollback=rollback, resumed=True))

    async def _adopt_orphans(self) -> None:
        # A run whose instance died (its lease expired) is resumed by another one.
        while True:
            await asyncio.sleep(_ADOPT_EVERY)
            with contextlib.suppress(Exception):
                await self._resume()

    @contextlib.asynccontextmanager
    async def _leased(
        self, name: str, renewed: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[bool]:
        """Hold the store's lease ``name`` (True), renewed in the background until the
        block ends, or False at once when another instance holds it."""
        if not await self.store.take_lease(name, self.instance, _LEASE):
            holder = await self.store.lease_holder(name)
            if holder is None or not _dead(holder):
                yield False
                return
            # Its holder was killed on this machine (a restart after a crash): no need
            # to wait for the lease to run out.
            await self.store.release_lease(name, holder)
            if not await self.store.take_lease(name, self.instance, _LEASE):
                yield False
                return

        async def renew() -> None:
            while True:
                await asyncio.sleep(_LEASE / 3)
                with contextlib.suppress(Exception):
                    await self.store.take_lease(name, self.instance, _LEASE)
                    if renewed is not None:
                        await renewed()

        renewing = asyncio.ensure_future(renew())
        try:
            yield True
        finally:
            renewing.cancel()
            # Not shielded: cancelled here (the service stopping), the lease lapses
            # within _LEASE seconds by itself.
            with contextlib.suppress(Exception):
                await self.store.release_lease(name, self.instance)

    async def _keep_fresh(self, max_age: float) -> None:
        while True:
            await asyncio.sleep(min(max_age / 2, 60.0))
            for name in self.clients:
                # From the store: another instance on it may have read the account.
                last = (await self.store.health(name)).last_success_at
                if last is None or (now() - last).total_seconds() >= max_age:
                    with contextlib.suppress(RoutingError):
                        await self.refresh(name)

    def _spawn(self, work: Coroutine[Any, Any, _T]) -> asyncio.Task[_T]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Stop: runs in progress are cancelled with their journal up to date (a
        write in flight is journaled as sent, so a restart reads it again before
        writing), then the clients and the store are closed."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in self.clients.values():
            with contextlib.suppress(Exception):
                await client.close()
        await self.store.close()
        self.started = False

    async def ready(self) -> bool:
        """True when the store answers and every account's first read has ended."""
        await self.store.ping()
        return self.loaded

    # ------------------------------------------------------------ accounts

    def client(self, account: str) -> AsyncPhoneNumberRouting:
        """The account's client; the error that kept it from connecting, raised."""
        if account in self.broken:
            raise self.broken[account]
        if account not in self.clients:
            raise NotFoundError(f"no account {account!r}", hint=_NO_ACCOUNT)
        return self.clients[account]

    def visible(self, principal: Principal, account: str) -> None:
        """NotFoundError, the same as for an account that does not exist, unless the
        principal may see ``account``: a scoped token learns no other account's name."""
        if account not in self.config.accounts or not principal.sees(account):
            raise NotFoundError(f"no account {account!r}", hint=_NO_ACCOUNT)

    def accounts_of(self, principal: Principal) -> tuple[str, ...]:
        """The accounts the principal may see, in the file's order."""
        return tuple(a for a in self.config.accounts if principal.sees(a))

    def capabilities(self, account: str) -> Capabilities | None:
        """The account's capabilities, when it is connected."""
        client = self.clients.get(account)
        return None if client is None else client.capabilities

    async def refresh(self, account: str) -> AccountHealth:
        """Read the account's numbers from the vendor into the inventory. On failure
        the last good data stays, and the health says what failed."""
        client = self.client(account)
        async with self._refreshing[account], self._leased(f"refresh:{account}") as mine:
            if not mine:
                return await self._other_refresh(account)
            started = now()
            try:
                numbers = [n async for n in client.list_numbers()]
            except RoutingError as error:
                logger.warning("refresh of %s failed: %s", account, _describe(error))
                health = attrs.evolve(
                    await self.health(account),
                    last_error_at=now(),
                    last_error=_describe(error),
                )
                await self._set_health(health)
                raise
            await self.store.replace_inventory(account, numbers, started)
            health = attrs.evolve(await self.health(account), last_success_at=started)
            await self._set_health(health)
            return health

    async def _other_refresh(self, account: str) -> AccountHealth:
        """Wait for the refresh of ``account`` another instance on the store holds,
        instead of reading the vendor a second time; the health it left."""
        name = f"refresh:{account}"
        while not await self.store.take_lease(name, self.instance, _LEASE):
            await asyncio.sleep(0.2)  # a real wait: config.sleep is the vendors' backoff
        await self.store.release_lease(name, self.instance)
        health = self._health[account] = await self.store.health(account)
        return health

    async def health(self, account: str) -> AccountHealth:
        """How the account's reads went (kept in memory too: every listing reads it)."""
        cached = self._health.get(account)
        if cached is None:
            cached = self._health[account] = await self.store.health(account)
        return cached

    async def _set_health(self, health: AccountHealth) -> None:
        await self.store.set_health(health)
        self._health[health.account] = health

    # ------------------------------------------------------------ numbers

    async def read_live(self, account: str, number_id: str) -> PhoneNumber:
        """The number as the vendor holds it now, recorded in the inventory."""
        number = await self.client(account).get_number(number_id)
        await self.store.put_number(account, number, now())
        return number

    async def update(
        self,
        principal: Principal,
        account: str,
        number_id: str,
        update: RoutingUpdate,
        if_match: str | None,
    ) -> StoredNumber:
        """Write ``update`` to one number; with ``if_match``, only while the number
        still has that ETag (read from the vendor just before).

        Without ``if_match`` the write is the only request the service adds to what
        the library sends: the audit's ``before`` is the inventory's copy (said so in
        the entry). A vendor whose update needs the number as it stands (Twilio,
        Telnyx), or a number the inventory does not hold, is read first, and that read
        stands for the library's own."""
        vendor = self.client(account)
        client = _Audited(self, account, vendor, principal.name, "update", None)
        current: PhoneNumber | None = None
        if if_match is None and not _reads_before(vendor, update):
            stored = await self.store.get_number(account, number_id)
            if stored is not None:
                client.known(stored)
        if not client.knows(number_id):
            current = await client.get_number(number_id)
        if (
            current is not None
            and if_match is not None
            and if_match.strip() not in ("*", etag(account, current))
        ):
            refused = AuditEntry(
                at=now(),
                actor=principal.name,
                action="update",
                account=account,
                outcome="refused",
                number=current.number,
                number_id=number_id,
                before=_routing_of(current, tuple(update.changes())),
                after=_update_data(update),
                detail="If-Match does not match: the number changed since it was read",
            )
            await self.store.record_write(refused, current, now())
            raise PreconditionFailedError(
                f"{current.number} in {account} changed since the ETag given was read; "
                "nothing was written"
            )
        # The read above stands for the one some vendors' updates need (Twilio, Telnyx).
        after = await client.update_routing(number_id, update, current=current)
        # As the audited client just recorded it in the inventory.
        return StoredNumber(account, after, client.read_at[number_id])

    # ------------------------------------------------------------ change sets

    async def _selected(
        self, accounts: Sequence[str], query: NumberQuery
    ) -> dict[str, list[PhoneNumber]]:
        found: dict[str, list[PhoneNumber]] = {a: [] for a in accounts}
        after = None
        while True:
            page = await self.store.query_numbers(
                attrs.evolve(query, accounts=tuple(accounts)), after, _READ_PAGE
            )
            for item in page:
                found[item.account].append(item.number)
            if len(page) < _READ_PAGE:
                return found
            after = page[-1].key

    async def plan_change_set(
        self, principal: Principal, query: NumberQuery, update: RoutingUpdate
    ) -> Job:
        """Plan ``update`` over the numbers ``query`` selects from the inventory; the
        change set is stored, nothing is written."""
        if update.is_empty():
            raise ValidationError("the update changes no field", field="update")
        parts: list[dict[str, Any]] = []
        selected = await self._selected(query.accounts, query)
        for account, numbers in selected.items():
            caps = self.capabilities(account)
            if caps is None or not numbers:
                continue
            plan = migration.plan_changes(numbers, update, caps)
            parts.append({"account": account, "plan": to_data(plan)})
        request = {"update": _update_data(update), "selection": to_data(query)}
        return await self._new_job("change_set", principal, query.accounts, request, parts)

    async def _new_job(
        self,
        kind: str,
        principal: Principal,
        accounts: Sequence[str],
        request: Mapping[str, Any],
        parts: list[dict[str, Any]],
    ) -> Job:
        job = Job(
            id=("chg_" if kind == "change_set" else "mig_") + secrets.token_hex(8),
            kind=kind,
            state="planned",
            created_at=now(),
            created_by=principal.name,
            accounts=tuple(accounts),
            request=request,
            parts=parts,
            summary=_summary(parts),
        )
        await self.store.save_job(job)
        return job

    async def plan_migration(
        self, principal: Principal, source: str, target: str, fields: Sequence[str] | None
    ) -> Job:
        """Read both accounts and plan the migration; stored, nothing written."""
        if source == target:
            raise ValidationError("from and to name the same account", field="to")
        plan = await migration.plan(self.client(source), self.client(target), fields)
        parts = [{"account": target, "source": source, "plan": to_data(plan)}]
        request = {
            "from": source,
            "to": target,
            "fields": None if fields is None else list(fields),
        }
        return await self._new_job("migration", principal, (source, target), request, parts)

    async def job(self, principal: Principal, job_id: str, kind: str) -> Job:
        """A job the principal may see (every account it touches in scope)."""
        job = await self.store.get_job(job_id)
        if job is None or job.kind != kind or not all(principal.sees(a) for a in job.accounts):
            raise NotFoundError(
                f"no {kind.replace('_', ' ')} {job_id!r}",
                hint="Check the id: POST /api/v1/changes or /api/v1/migrations answers it.",
            )
        watch = self._watches.get(job_id)
        if watch is not None and watch.progress:
            job = attrs.evolve(job, progress={**job.progress, **watch.progress})
        return job

    async def start_run(self, principal: Principal, job: Job, *, rollback: bool) -> Job:
        """Start applying (or rolling back) ``job`` in the background. JobStateError
        when it is not in a state for it, or another request started it first."""
        if rollback:
            allowed: tuple[str, ...] = ("applied", "failed")
            busy = "rolling_back"
        else:
            allowed, busy = _APPLICABLE, "applying"
        if not await self.store.claim_job(job.id, allowed, busy):
            current = await self.store.get_job(job.id)
            state = current.state if current else "gone"
            raise JobStateError(
                f"{job.id} is {state}; it can be "
                f"{'rolled back' if rollback else 'applied'} only when "
                f"{' or '.join(allowed)}"
            )
        await self.store.update_job(job.id, progress={"actor": principal.name})
        self._runs[job.id] = self._spawn(self._run(job, principal.name, rollback=rollback))
        return await self.job(principal, job.id, job.kind)

    def watch(self, job_id: str) -> _Watch:
        """The live progress of a job, created on demand."""
        return self._watches.setdefault(job_id, _Watch())

    async def _run(self, job: Job, actor: str, *, rollback: bool, resumed: bool = False) -> None:
        watch = self.watch(job.id)

        async def save_progress() -> None:
            # So that other instances on the store see how far the run is.
            if watch.progress:
                await self.store.update_job(job.id, progress=watch.progress)

        try:
            async with self._leased(f"job:{job.id}", save_progress) as mine:
                if not mine:
                    logger.info("%s %s is run by another instance", job.kind, job.id)
                    return
                current = await self.store.get_job(job.id) if resumed else job
                if current is None or current.state != job.state:
                    return  # ended between the listing and the lease
                if resumed:
                    logger.info("resuming %s %s", job.kind, job.id)
                    for part in job.parts:
                        await self._audit_in_flight(job, str(part["account"]), actor, rollback)
                await self._run_held(job, actor, rollback=rollback)
        finally:
            if self._runs.get(job.id) is asyncio.current_task():
                self._runs.pop(job.id, None)

    async def _audit_in_flight(self, job: Job, account: str, actor: str, rollback: bool) -> None:
        """Before resuming a run its instance did not end (killed): an ``interrupted``
        audit entry for each write the journal says went out whose outcome the audit
        does not hold, so that the trail has every write attempted, even those whose
        entry the kill cut off (its answer received, its commit not yet made)."""
        where = self.store.journal(job.id, account)
        book: JournalStore
        if isinstance(where, str | Path):
            if not Path(where).is_file():
                return  # killed before the run's journal began: nothing went out
            book = SQLiteJournal(where)
        else:
            book = where
        await book.open(shared=True)
        busy = StepState.ROLLING_BACK if rollback else StepState.WRITING
        landed = StepState.ROLLED_BACK if rollback else StepState.DONE
        try:
            steps = [step for step in await book.steps(busy, landed) if step.sent]
        finally:
            await book.close()
        if not steps:
            return
        action = f"{job.kind}.{'rollback' if rollback else 'apply'}"
        latest: dict[str | None, str] = {}
        after = None
        while True:
            page = await self.store.query_audit(AuditQuery((account,), job=job.id), after, 1000)
            for entry in page:
                if entry.action == action:
                    latest[entry.number_id] = entry.outcome
            if len(page) < 1000:
                break
            after = page[-1].seq
        entries = [
            AuditEntry(
                at=now(),
                actor=actor,
                action=action,
                account=account,
                outcome="written" if step.state == landed else "interrupted",
                number=step.number,
                number_id=step.target_id,
                before=_plain(step.desired if rollback else step.prior),
                after=_plain(step.prior if rollback else step.desired),
                detail=_LANDED if step.state == landed else _IN_FLIGHT,
                job=job.id,
            )
            for step in steps
            if latest.get(step.target_id) not in ("written", "interrupted")
        ]
        await self.store.append_audit(entries)

    async def _run_held(self, job: Job, actor: str, *, rollback: bool) -> None:
        watch = self.watch(job.id)
        action = f"{job.kind}.{'rollback' if rollback else 'apply'}"
        reports: list[dict[str, Any]] = []
        done_before = 0
        # Each part's plan structured once (a 10,000-number plan takes tens of ms).
        plans = [_plan(part) for part in job.parts]
        total_all = sum(len(plan.to_write) for plan in plans)
        try:
            for part, plan in zip(job.parts, plans, strict=True):
                account = str(part["account"])
                client = _Audited(self, account, self.client(account), actor, action, job.id)
                journal = self.store.journal(job.id, account)

                def progress(done: int, total: int, base: int = done_before) -> None:
                    watch.progress = {
                        "actor": actor,
                        "done": base + done,
                        "total": max(total_all, base + total),
                    }
                    watch.tell(
                        {"state": "rolling_back" if rollback else "applying", **watch.progress}
                    )

                if rollback:
                    report = await migration.rollback(
                        client,
                        journal=journal,
                        concurrency=self.config.concurrency,
                        progress=progress,
                    )
                else:
                    report = await migration.apply(
                        plan,
                        client,
                        journal=journal,
                        concurrency=self.config.concurrency,
                        progress=progress,
                    )
                # The part's audit and inventory rows (group-committed) are committed
                # before the run says it is over.
                await self.store.settle(job.id)
                done_before += report.total
                reports.append({"account": account, **to_data(report), "ok": report.ok})
        except asyncio.CancelledError:
            # Left as applying / rolling_back: the next start resumes it from the journal.
            await asyncio.shield(self._settle_quietly(job))
            await asyncio.shield(self.store.update_job(job.id, progress=watch.progress))
            raise
        except Exception as error:  # a run that cannot go on: recorded, not lost
            logger.warning("%s %s stopped: %s", job.kind, job.id, _describe(error))
            await self._settle_quietly(job)
            state = "failed"
            reports.append({"error": _describe(error)})
        else:
            ok = all(r.get("ok") for r in reports)
            state = (
                ("rolled_back" if ok else "failed") if rollback else ("applied" if ok else "failed")
            )
        await self.store.update_job(
            job.id, state=state, progress=watch.progress, report={"parts": reports}
        )
        watch.tell({"state": state, **watch.progress, "final": True})

    async def _settle_quietly(self, job: Job) -> None:
        """`Store.settle` for a run already stopping: a commit failure is logged, not
        raised over the reason the run stopped."""
        try:
            await self.store.settle(job.id)
        except Exception as error:
            logger.warning(
                "%s %s: its last audit entries could not be committed: %s",
                job.kind,
                job.id,
                _describe(error),
            )

    async def wait(self, job_id: str) -> None:
        """Wait for a job's run in progress to end (tests, the CLI)."""
        task = self._runs.get(job_id)
        if task is not None:
            await asyncio.shield(task)

    async def verify(self, principal: Principal, job: Job) -> dict[str, Any]:
        """Read the target back and check it against the job's journal."""
        results = []
        for part in job.parts:
            account = str(part["account"])
            report = await migration.verify_journal(
                self.client(account), journal=self.store.journal(job.id, account)
            )
            results.append({"account": account, **to_data(report), "ok": report.ok})
        return {"id": job.id, "parts": results, "ok": all(r["ok"] for r in results)}


def _update_data(update: RoutingUpdate) -> dict[str, Any]:
    return _plain(update.changes())


def _plan(part: Mapping[str, Any]) -> Plan:
    return _plans.structure(dict(part["plan"]), Plan)


def _summary(parts: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for key, value in _plan(part).summary().items():
            total[key] = total.get(key, 0) + value
    return total


def check_fields(names: Sequence[str], where: str) -> tuple[str, ...]:
    """``names`` if each is a routing field, else a ValidationError naming ``where``."""
    unknown = [n for n in names if n not in ROUTING_FIELDS]
    if unknown:
        raise ValidationError(
            f"unknown field(s) {', '.join(unknown)}; choose from {', '.join(ROUTING_FIELDS)}",
            field=where,
        )
    return tuple(names)
