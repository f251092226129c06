"""Recording what happens: referrals, contacts and client assignments, as domain commands.

Each command checks who calls (:class:`~graph_service.auth.caller.Caller`), checks its
arguments, reads what it needs, then writes one :class:`~graph_service.records.GraphBatch`
through :meth:`GraphStore.write <graph_service.stores.base.GraphStore.write>`: on the
embedded store one SQLite transaction, committed before it is visible; on a Cypher store one
``write`` statement, one transaction. A command's preconditions travel with its batch
(``GraphBatch.expected``), so a write that lost a race writes nothing and answers
:class:`~graph_service.errors.ConflictError`. Commands on one key (the referral, contact or
assignment they write) run one at a time in a process (:func:`serialized`); commands on
different keys run meanwhile, their writes committed together by the embedded store (group
commit).

What is recorded (``schema/graph-model.md``):

- a **referral** is a ``Referral`` node (``status``, ``version``, ``product``, ``note``,
  ``referredBy``, ``idempotencyKey``, ``createdAt``, ``updatedAt``) with ``REFERS`` to the
  party (a person or an enterprise) and ``REFERRED_TO`` the account manager. Its id is
  derived from the caller's subject and the ``idempotencyKey`` (:func:`referral_id`), so
  the same key sent twice by the same caller creates one referral. Its status moves
  OPEN -> CONTACTED -> CONVERTED | DECLINED (:data:`~graph_service.model.
  REFERRAL_TRANSITIONS`); each move adds 1 to ``version``.
- a **contact** is a ``Contact`` node (``kind``, ``at``, ``outcome``, ``note``,
  ``loggedBy``, ``idempotencyKey``, ``createdAt``) with ``CONTACTED`` to the party and, when
  a manager logs it, ``LOGGED_BY`` that manager.
- an **assignment** is a ``MANAGES`` relationship from a manager to a client.

Who may (by the caller's :class:`~graph_service.auth.caller.Role`; the sets of
:mod:`graph_service.access`, which the GraphQL permission classes also use):

==============  ===========================================================================
``admin``       every command
``manager``     ``createReferral`` (to another manager, never to themselves, of a party of
                their portfolio: :func:`party_in_manager_portfolio`), ``updateReferral`` of
                the referrals made to them, ``logContact`` (of a party of their portfolio)
``staff``       ``createReferral`` of any party
``analyst``,    none: :class:`~graph_service.errors.ForbiddenError`
``app``
==============  ===========================================================================

Every command answers, besides its result, the :class:`Change` records the audit trail keeps
(before and after).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
import weakref
from collections.abc import AsyncIterator, Hashable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from graph_service.access import (
    ASSIGNERS,
    CONTACT_LOGGERS,
    REFERRAL_MOVERS,
    REFERRERS,
    portfolio,
)
from graph_service.auth.caller import Caller, Role
from graph_service.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    Location,
    NotFoundError,
    TransitionError,
    shorten,
)
from graph_service.model import (
    CONTACT_KINDS,
    NODE_SPECS,
    REFERRAL_STATUSES,
    REFERRAL_TRANSITIONS,
    TEXT_BREAKS,
    NodeKey,
    NodeLabel,
    RelationshipType,
    unprintable,
)
from graph_service.records import Expected, GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.base import Direction, GraphStore, Node

_PERSON, _ENTERPRISE, _MANAGER = (NodeLabel.PERSON.value, NodeLabel.ENTERPRISE.value,
                                  NodeLabel.MANAGER.value)
REFERRAL, CONTACT = NodeLabel.REFERRAL.value, NodeLabel.CONTACT.value
PARTY_LABELS = frozenset({_PERSON, _ENTERPRISE})
"""Labels a referral or contact may be about."""
MAX_KEY_CHARS = 200
"""Longest ``idempotencyKey`` accepted, in characters."""
MAX_TEXT_CHARS = 2_000
"""Longest ``product``, ``note`` or ``outcome`` accepted, in characters."""
EARLIEST_CONTACT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""Earliest ``logContact`` time accepted: older history is loaded from ``contacts.csv``."""
CONTACT_CLOCK_SKEW = dt.timedelta(days=1)
"""How far past the service's clock a ``logContact`` time may lie: a caller's clock and
time zone may run ahead, but a contact is recorded once it has happened."""
OPEN = REFERRAL_STATUSES[0]

_REFERS, _REFERRED_TO, _CONTACTED, _LOGGED_BY, _MANAGES = (
    RelationshipType.REFERS.value, RelationshipType.REFERRED_TO.value,
    RelationshipType.CONTACTED.value, RelationshipType.LOGGED_BY.value,
    RelationshipType.MANAGES.value,
)


@dataclass(frozen=True, slots=True)
class Change:
    """One change a command made, as the audit trail records it.

    Attributes
    ----------
    command : str
        The mutation's name (``createReferral``).
    target : dict
        What changed: ``{"label", "id"}`` of a node, or ``{"type", "start", "end"}`` of a
        relationship (ends as ``[label, id]``).
    before, after : dict or None
        Its stored properties before and after (``None``: absent). Equal when a retried
        command changed nothing.
    """

    command: str
    target: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def record(self) -> dict[str, Any]:
        """The change as a JSON object of the audit record's ``changes`` list."""
        return {"command": self.command, "target": self.target, "before": self.before,
                "after": self.after}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Assignment:
    """Answer of ``assignClient`` and ``unassignClient``.

    Attributes
    ----------
    manager_id : str
    party : NodeKey
    assigned : bool
        Whether the manager manages the party now.
    changed : bool
        Whether the command changed anything (``False``: it was so already).
    """

    manager_id: str
    party: NodeKey
    assigned: bool
    changed: bool


class _KeyLocks:
    """One :class:`asyncio.Lock` per key, kept while some command holds or awaits it."""

    def __init__(self) -> None:
        self.locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def held(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self.locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self.locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self.locks[key]
            if users == 1:
                del self.locks[key]
            else:
                self.locks[key] = (lock, users - 1)


_LOCKS: weakref.WeakKeyDictionary[Any, tuple[asyncio.AbstractEventLoop, _KeyLocks]] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def serialized(store: GraphStore, key: Hashable) -> AsyncIterator[None]:
    """Run the block alone among this process's commands on ``key`` of ``store``.

    A command reads, checks, then writes what ``key`` names (the referral or contact it
    creates or moves, the ``MANAGES`` relationship it writes); the lock makes that sequence
    atomic within the process, so commands on one key answer as if run one after the
    other (a retried ``idempotencyKey`` finds the referral its first send created), while
    commands on other keys run meanwhile and their writes are committed together (the
    embedded store's group commit, :meth:`Record.commit
    <graph_service.stores.embedded.record.Record.commit>`). Across processes the embedded
    store checks ``GraphBatch.expected`` inside its transaction; a Cypher store just before
    its write (one serving process per graph keeps its commands atomic).
    """
    loop = asyncio.get_running_loop()
    held = _LOCKS.get(store)
    if held is None or held[0] is not loop:
        held = _LOCKS[store] = (loop, _KeyLocks())
    async with held[1].held(key):
        yield


_COMMAND = Location("input")
"""Where a command's values come from, for the model's own checks."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _allow(caller: Caller, command: str, roles: frozenset[Role]) -> None:
    """Refuse ``caller`` unless their role is one of ``roles`` (a set of :mod:`.access`)."""
    if caller.role in roles:
        return
    allowed = ", ".join(sorted(r.value for r in roles))
    raise ForbiddenError(f"the role {caller.role.value} may not {command}; allowed: {allowed}")


def _party(party: NodeKey, argument: str) -> NodeKey:
    """Check that ``party`` names a person or an enterprise."""
    label, node_id = party
    if label not in PARTY_LABELS:
        raise InvalidInputError(
            f"{argument}: a party is a PERSON or an ENTERPRISE, got {label.upper()}"
        )
    if not node_id.strip():
        raise InvalidInputError(f"{argument}.id must not be empty")
    return party


def _printable(value: str, argument: str, allowed: str = "") -> None:
    """Refuse ``value`` as :func:`~graph_service.model.unprintable` does, naming ``argument``.

    Raises
    ------
    InvalidInputError
        Naming the argument, the character and its position.
    """
    reason = unprintable(value, allowed)
    if reason is not None:
        raise InvalidInputError(f"{argument} {reason}")


def _text(value: str | None, argument: str) -> str | None:
    """An optional free text: ``None`` when blank.

    Refused above :data:`MAX_TEXT_CHARS` characters or with a control character other than
    a tab or line break (:func:`_printable`).
    """
    if value is None or not value.strip():
        return None
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidInputError(
            f"{argument} is {len(value)} characters long; at most {MAX_TEXT_CHARS}"
        )
    _printable(value, argument, allowed=TEXT_BREAKS)
    return value


def _key(value: str | None, argument: str, required: bool) -> str | None:
    """An idempotency key: non-blank, without control characters, not too long.

    At most :data:`MAX_KEY_CHARS` characters.
    """
    if value is None and not required:
        return None
    if value is None or not value.strip():
        raise InvalidInputError(f"{argument} must not be empty")
    if len(value) > MAX_KEY_CHARS:
        raise InvalidInputError(
            f"{argument} is {len(value)} characters long; at most {MAX_KEY_CHARS}"
        )
    _printable(value, argument)
    return value


def _contact_time(at: dt.datetime, argument: str) -> dt.datetime:
    """``at``, if a contact could have happened then.

    That is from :data:`EARLIEST_CONTACT` to :data:`CONTACT_CLOCK_SKEW` past the service's
    clock; a time without an offset counts as UTC. Answered in UTC.
    """
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    latest = dt.datetime.now(dt.UTC) + CONTACT_CLOCK_SKEW
    if aware < EARLIEST_CONTACT or aware > latest:
        raise InvalidInputError(
            f"{argument} is {at.isoformat()}; a contact's time must lie between "
            f"{EARLIEST_CONTACT.date().isoformat()} and one day past now "
            f"({latest.isoformat(timespec='seconds')})"
        )
    return aware.astimezone(dt.UTC)


def _derived_id(prefix: str, caller: Caller, key: str) -> str:
    digest = hashlib.sha256(f"{caller.subject}\x00{key}".encode()).hexdigest()
    return f"{prefix}-{digest[:24]}"


def referral_id(caller: Caller, idempotency_key: str) -> str:
    """The id of the referral ``caller`` creates with ``idempotency_key``.

    ``referral-`` and 24 hex digits of the SHA-256 of the subject and the key: the same key
    from the same caller names the same referral, from another caller another one.
    """
    return _derived_id("referral", caller, idempotency_key)


def contact_id(caller: Caller, idempotency_key: str | None) -> str:
    """The id of a contact: derived like :func:`referral_id` from a key, else random."""
    if idempotency_key is None:
        return f"contact-{uuid.uuid4().hex[:24]}"
    return _derived_id("contact", caller, idempotency_key)


async def _require(store: GraphStore, key: NodeKey, argument: str | None) -> Node:
    """The node ``key``; :class:`NotFoundError` naming ``argument`` if absent."""
    (node,) = await store.get_nodes(key[0], [key[1]])
    if node is None:
        raise NotFoundError(*key, argument=argument)
    return node


async def party_in_manager_portfolio(store: GraphStore, manager_id: str, party: NodeKey) -> bool:
    """Whether ``party`` is in the portfolio of the manager ``manager_id``.

    The rule a manager's ``createReferral`` and ``logContact`` obey (issue 10): a manager
    refers and logs contacts of the parties in their own portfolio, the one whose nodes they
    see unmasked (:func:`graph_service.access.portfolio`, the one definition; a party
    referred to them is in it).

    Parameters
    ----------
    store : GraphStore
    manager_id : str
        The calling manager's node id (``Caller.manager_id``).
    party : NodeKey
        The person or enterprise referred or contacted.
    """
    return party in await portfolio(store, manager_id)


async def _portfolio(store: GraphStore, caller: Caller, party: NodeKey, argument: str) -> None:
    """Refuse a manager acting on a party outside their portfolio."""
    if caller.role is Role.MANAGER:
        assert caller.manager_id is not None
        if not await party_in_manager_portfolio(store, caller.manager_id, party):
            raise ForbiddenError(
                f"{argument}: {party[0]} {shorten(party[1])!r} is not in your portfolio"
            )


async def _linked(store: GraphStore, key: NodeKey, rel_type: str) -> NodeKey | None:
    """The node ``key``'s one outgoing ``rel_type`` relationship's end, if any."""
    (found,) = await store.neighbors(key[0], [key[1]], rel_type, Direction.OUTGOING)
    return found[0][1].key if found else None


def _snapshot(props: Mapping[str, Any], **ends: NodeKey | None) -> dict[str, Any]:
    """A node's properties and the ends of its recorded relationships, for the audit."""
    return {**props, **{name: list(key) if key else None for name, key in ends.items()}}


async def create_referral(
    store: GraphStore,
    caller: Caller,
    *,
    party: NodeKey,
    to_manager_id: str,
    idempotency_key: str,
    product: str | None = None,
    note: str | None = None,
) -> tuple[Node, list[Change]]:
    """Refer ``party`` to the account manager ``to_manager_id`` (``createReferral``).

    Returns
    -------
    (Node, list of Change)
        The referral, OPEN at version 1 when new; the one this caller created with the same
        ``idempotency_key`` when there is one (then no change is made).

    Raises
    ------
    ForbiddenError
        Analysts and apps; a manager referring to themselves or a party outside their
        portfolio (:func:`party_in_manager_portfolio`).
    InvalidInputError
        A party that is not a person or enterprise, a blank key or manager id, texts too
        long or with control characters; the message names the argument.
    NotFoundError
        If the party or the manager does not exist.
    ConflictError
        If the key was used by this caller for a different referral.
    """
    command = "createReferral"
    _allow(caller, "create referrals", REFERRERS)
    _party(party, "input.party")
    key = _key(idempotency_key, "input.idempotencyKey", required=True)
    assert key is not None
    if not to_manager_id.strip():
        raise InvalidInputError("input.toManagerId must not be empty")
    product, note = _text(product, "input.product"), _text(note, "input.note")
    if caller.role is Role.MANAGER and to_manager_id == caller.manager_id:
        raise ForbiddenError("input.toManagerId: a manager may not refer a party to themselves")
    manager = (_MANAGER, to_manager_id)
    await _require(store, party, "input.party")
    await _require(store, manager, "input.toManagerId")
    await _portfolio(store, caller, party, "input.party")
    node_key = (REFERRAL, referral_id(caller, key))
    props: dict[str, Any] = {"status": OPEN, "version": 1, "product": product, "note": note,
                             "referredBy": caller.subject, "idempotencyKey": key}  # fmt: skip
    async with serialized(store, node_key):
        for attempt in (1, 2):
            (existing,) = await store.get_nodes(*_one(node_key))
            if existing is not None:
                return await _same_referral(store, existing, party, manager, props), []
            now = _now()
            stored = {k: v for k, v in {**props, "createdAt": now, "updatedAt": now}.items()
                      if v is not None}  # fmt: skip
            stored = NODE_SPECS[REFERRAL].coerce(stored, _COMMAND)
            batch = GraphBatch(
                nodes=[NodeRow(*node_key, stored)],
                relationships=[RelationshipRow(_REFERS, node_key, party, {}),
                               RelationshipRow(_REFERRED_TO, node_key, manager, {})],
                expected={node_key: Expected(absent=True), party: Expected(),
                          manager: Expected()},
            )  # fmt: skip
            try:
                await store.write(batch)
            except ConflictError:
                if attempt == 2:
                    raise
                await store.refresh()  # written by another process meanwhile: read it
                continue
            node = Node(*node_key, stored)
            after = _snapshot(stored, party=party, toManager=manager)
            return node, [Change(command, _target(node_key), None, after)]
    raise AssertionError("unreachable")  # pragma: no cover


def _one(key: NodeKey) -> tuple[str, list[str]]:
    return key[0], [key[1]]


def _target(key: NodeKey) -> dict[str, Any]:
    return {"label": key[0], "id": key[1]}


async def _same_referral(
    store: GraphStore, existing: Node, party: NodeKey, manager: NodeKey, props: dict[str, Any]
) -> Node:
    """The stored referral of a retried ``createReferral``, if it was for the same thing.

    Raises
    ------
    ConflictError
        If the key was used for another party, manager, product or note.
    """
    was = (await _linked(store, existing.key, _REFERS),
           await _linked(store, existing.key, _REFERRED_TO),
           existing.props.get("product"), existing.props.get("note"))  # fmt: skip
    if was != (party, manager, props["product"], props["note"]):
        raise ConflictError(
            "input.idempotencyKey was already used for another referral "
            f"({existing.id}); use a new key for a new referral"
        )
    return existing


async def update_referral(
    store: GraphStore, caller: Caller, *, referral_id: str, status: str, expected_version: int
) -> tuple[Node, list[Change]]:
    """Move a referral to ``status`` (``updateReferral``), if it is at ``expected_version``.

    Returns
    -------
    (Node, list of Change)
        The referral at its new status and version (``expected_version + 1``).

    Raises
    ------
    ForbiddenError
        Unless the caller is an admin or the manager the referral is referred to.
    InvalidInputError
        An unknown status or an ``expectedVersion`` below 1 (the message names it).
    TransitionError
        A move the workflow does not allow (code ``INVALID_TRANSITION``).
    NotFoundError
        If there is no such referral.
    ConflictError
        If the referral is not at ``expected_version`` (someone moved it meanwhile).
    """
    _allow(caller, "update referrals", REFERRAL_MOVERS)
    if status not in REFERRAL_STATUSES:
        raise InvalidInputError(
            f"status must be one of {', '.join(REFERRAL_STATUSES)}, got {shorten(status)!r}"
        )
    if expected_version < 1:
        raise InvalidInputError(f"expectedVersion must be at least 1, got {expected_version}")
    key = (REFERRAL, referral_id)
    async with serialized(store, key):
        node = await _require(store, key, "id")
        manager = await _linked(store, key, _REFERRED_TO)
        if caller.role is Role.MANAGER and manager != (_MANAGER, caller.manager_id):
            raise ForbiddenError("a manager may update only the referrals made to them")
        Expected(version=expected_version).check(key, node.props)
        current = str(node.props.get("status"))
        if status not in REFERRAL_TRANSITIONS.get(current, frozenset()):
            allowed = sorted(REFERRAL_TRANSITIONS.get(current, ())) or ["none"]
            raise TransitionError(
                f"status: a referral cannot move from {current} to {status}; from {current}: "
                f"{', '.join(allowed)}"
            )
        change = {"status": status, "version": expected_version + 1, "updatedAt": _now()}
        change = NODE_SPECS[REFERRAL].coerce(change, _COMMAND)
        await store.write(GraphBatch(nodes=[NodeRow(*key, change)],
                                     expected={key: Expected(version=expected_version)}))
        after = {**node.props, **change}
        return Node(*key, after), [Change("updateReferral", _target(key), dict(node.props), after)]


async def log_contact(
    store: GraphStore,
    caller: Caller,
    *,
    party: NodeKey,
    kind: str,
    at: dt.datetime,
    outcome: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[Node, list[Change]]:
    """Record a visit, call, meeting or message with ``party`` (``logContact``).

    A manager's contact is ``LOGGED_BY`` them. With an ``idempotency_key``, the same key
    from the same caller records one contact (a retry answers it unchanged).

    Raises
    ------
    ForbiddenError
        Unless the caller is an admin or a manager (of a party
        :func:`party_in_manager_portfolio` admits).
    InvalidInputError
        A party that is not a person or enterprise, an unknown kind, a blank key, texts too
        long or with control characters, a time before :data:`EARLIEST_CONTACT` or more
        than :data:`CONTACT_CLOCK_SKEW` ahead; the message names the argument.
    NotFoundError
        If the party (or the calling manager's node) does not exist.
    ConflictError
        If the key was used by this caller for a different contact.
    """
    _allow(caller, "log contacts", CONTACT_LOGGERS)
    _party(party, "input.party")
    if kind not in CONTACT_KINDS:
        raise InvalidInputError(f"input.kind must be one of {', '.join(CONTACT_KINDS)}")
    key = _key(idempotency_key, "input.idempotencyKey", required=False)
    outcome, note = _text(outcome, "input.outcome"), _text(note, "input.note")
    at = _contact_time(at, "input.at")
    await _require(store, party, "input.party")
    manager = (_MANAGER, caller.manager_id) if caller.manager_id else None
    if manager is not None:
        await _require(store, manager, None)  # the caller's own, from the token
    await _portfolio(store, caller, party, "input.party")
    node_key = (CONTACT, contact_id(caller, key))
    raw = {"kind": kind, "at": at, "outcome": outcome, "note": note,
           "loggedBy": caller.subject, "idempotencyKey": key, "createdAt": _now()}  # fmt: skip
    props = NODE_SPECS[CONTACT].coerce(raw, _COMMAND)
    rels = [RelationshipRow(_CONTACTED, node_key, party, {})]
    expected = {node_key: Expected(absent=True), party: Expected()}
    if manager is not None:
        rels.append(RelationshipRow(_LOGGED_BY, node_key, manager, {}))
        expected[manager] = Expected()
    async with serialized(store, node_key):
        (existing,) = await store.get_nodes(*_one(node_key))
        if existing is not None:
            same = {k: existing.props.get(k) for k in ("kind", "at", "outcome", "note")}
            if same != {k: props.get(k) for k in same} or (
                await _linked(store, node_key, _CONTACTED) != party
            ):
                raise ConflictError(
                    "input.idempotencyKey was already used for another contact "
                    f"({existing.id}); use a new key for a new contact"
                )
            return existing, []
        await store.write(GraphBatch(nodes=[NodeRow(*node_key, props)], relationships=rels,
                                     expected=expected))  # fmt: skip
        after = _snapshot(props, party=party, manager=manager)
        return Node(*node_key, props), [Change("logContact", _target(node_key), None, after)]


async def assign_client(
    store: GraphStore, caller: Caller, *, manager_id: str, party: NodeKey, assign: bool
) -> tuple[Assignment, list[Change]]:
    """Make the manager manage ``party`` (``assignClient``), or stop (``unassignClient``).

    Parameters
    ----------
    assign : bool
        ``True`` writes the ``MANAGES`` relationship, ``False`` deletes it. Either is a
        no-op (``changed`` false, no change recorded) when it is so already.

    Raises
    ------
    ForbiddenError
        Unless the caller is an admin.
    InvalidInputError
        A party that is not a person or enterprise, a blank manager id.
    NotFoundError
        If the manager or the party does not exist.
    """
    command = "assignClient" if assign else "unassignClient"
    _allow(caller, "assign clients", ASSIGNERS)
    _party(party, "party")
    if not manager_id.strip():
        raise InvalidInputError("managerId must not be empty")
    manager = (_MANAGER, manager_id)
    await _require(store, manager, "managerId")
    await _require(store, party, "party")
    async with serialized(store, (_MANAGES, manager, party)):
        (clients,) = await store.neighbors(_MANAGER, [manager_id], _MANAGES, Direction.OUTGOING)
        was = any(node.key == party for _, node in clients)
        answer = Assignment(manager_id, party, assigned=assign, changed=was != assign)
        if not answer.changed:
            return answer, []
        rel = (_MANAGES, manager, party)
        if assign:
            batch = GraphBatch(relationships=[RelationshipRow(*rel, {})],
                               expected={manager: Expected(), party: Expected()})
        else:
            batch = GraphBatch(deleted_relationships=[rel])
        await store.write(batch)
        target = {"type": _MANAGES, "start": list(manager), "end": list(party)}
        before: dict[str, Any] | None = None if assign else {}
        after: dict[str, Any] | None = {} if assign else None
        return answer, [Change(command, target, before, after)]


__all__ = [
    "CONTACT", "MAX_KEY_CHARS", "MAX_TEXT_CHARS", "PARTY_LABELS", "REFERRAL", "Assignment",
    "Change", "assign_client", "contact_id", "create_referral", "log_contact",
    "party_in_manager_portfolio", "referral_id", "serialized", "update_referral",
]
