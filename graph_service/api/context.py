"""The per-request GraphQL context: the store, the settings, the rules and the DataLoaders.

Every nested field reads the graph through a DataLoader of this context, so that the many
``accounts`` of a page of employees become one :meth:`GraphStore.neighbors` call, not one
per employee (no N+1). Loaders cache for one request only.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.dataloader import DataLoader

from graph_service.access import GRAPH_READERS, Scope
from graph_service.api.permissions import ReadsGraph
from graph_service.auth.caller import Caller
from graph_service.config import Settings
from graph_service.errors import ForbiddenError, GraphServiceError
from graph_service.linkage.question import Lazy, Question, Ranked, answer_many
from graph_service.model import NodeLabel
from graph_service.rules import LinkageRules
from graph_service.stores.base import Direction, GraphStore, Node, Relationship

if TYPE_CHECKING:
    from starlette.background import BackgroundTasks
    from starlette.requests import Request
    from starlette.responses import Response

    from graph_service.audit import AuditTrail

Neighbour = tuple[Relationship, Node]
"""A relationship and the node at its other end, as :meth:`GraphStore.neighbors` lists them."""

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K")
V = TypeVar("V")


def _retrieve_exception(future: asyncio.Future[Any]) -> None:
    """Mark a done future's exception as retrieved (``asyncio`` logs one never retrieved)."""
    if not future.cancelled():
        future.exception()


def when_loaded(loaded: Awaitable[T], then: Callable[[T], Any]) -> Any:
    """``then`` of a DataLoader's value: at once if the loader holds it, else an awaitable.

    A resolver built on this returns its value synchronously when every value it needs is
    already in the request's loaders (graphql-core then completes the field without a
    coroutine, a task or an event-loop round), and an awaitable otherwise (the load then
    joins the loader's batch as usual). ``then`` may itself return such an awaitable (a
    second, dependent load), which the awaitable form awaits.

    Parameters
    ----------
    loaded : Awaitable
        What ``DataLoader.load`` returned: a future, done when the value is cached.
    then : callable
        Applied to the loaded value; may raise (a GraphQL field error). Cancelling the
        awaitable form does not cancel ``loaded``, which other fields may share.

    Returns
    -------
    Any
        ``then(value)``, or an awaitable of it. A failed load raises its exception at
        once (done) or when awaited.
    """
    if isinstance(loaded, asyncio.Future):
        if loaded.done():
            return then(loaded.result())
        # If every field awaiting it is cancelled (Ctrl-C of a bulk run), a failed load's
        # exception would be reported as "never retrieved" at exit; it is retrieved here
        # (the awaiting fields still raise it).
        loaded.add_done_callback(_retrieve_exception)

    async def later() -> Any:
        # Shielded: the value may be shared by many fields (one DataLoader future), and
        # graphql-core cancels a failed operation's pending fields; that must not cancel it.
        value = then(await asyncio.shield(loaded))
        return await value if isinstance(value, Awaitable) else value

    return later()


class Context:
    """What every resolver of one request sees as ``info.context``.

    Parameters
    ----------
    store : GraphStore
        The open graph store.
    settings : Settings
        Caps, limits and the linkage rules' configuration.
    caller : Caller, optional
        Who is calling (:mod:`graph_service.auth`): over HTTP the verified token's caller,
        for the CLI :func:`~graph_service.auth.cli_caller`; ``None`` in-process.
    request_id : str, optional
        The request's correlation id (``X-Request-ID``), recorded in the audit trail.
    audit : AuditTrail, optional
        The trail the operation's record is appended to (:class:`graph_service.api.trail.Audit`);
        ``None``: not audited.
    audit_wait : bool
        Whether the answer waits until its record is on disk (over HTTP).

    Attributes
    ----------
    store : GraphStore
    settings : Settings
    rules : LinkageRules
        ``settings.rules()``, computed once.
    audited : bool
        Whether the operation's record was appended (set by :class:`graph_service.api.trail.Audit`).

    Notes
    -----
    Every node the loaders hand out (:meth:`nodes`, :meth:`neighbors`, :meth:`read_nodes`,
    the nodes inside :meth:`answers`) is viewed through the caller's
    :class:`~graph_service.access.Scope` (masked outside it), and every question asked
    through :meth:`answers` is checked by :meth:`Scope.check <graph_service.access.Scope.
    check>` first: the access rule is applied here, once, for every field built on them.
    A manager's scope (their portfolio) is read once per context, when first needed.

    Also carries FastAPI's ``request``, ``response`` and ``background_tasks`` when served
    over HTTP (set by :class:`graph_service.api.router.GraphQLHTTPView`, as strawberry's
    ``BaseContext`` holds them); they are ``None`` when a document runs in-process. Not a
    subclass of ``BaseContext``, which would import FastAPI into every command that runs a
    document (the bulk ``query``, ``report``).
    """

    def __init__(self, store: GraphStore, settings: Settings, caller: Caller | None = None,
                 request_id: str | None = None, audit: AuditTrail | None = None,
                 audit_wait: bool = False) -> None:
        self.request: Request | None = None
        self.response: Response | None = None
        self.background_tasks: BackgroundTasks | None = None
        self.store = store
        self.settings = settings
        self.caller = caller
        self.request_id = request_id
        self.audit = audit
        self.audit_wait = audit_wait
        self.audited = False
        self.rules: LinkageRules = settings.rules()
        self._known: Scope | None = Scope.known(caller)
        self._scope: asyncio.Future[Scope] | None = None
        self._nodes: dict[str, DataLoader[str, Node | None]] = {}
        self._neighbors: dict[tuple[str, str, Direction], DataLoader[str, list[Neighbour]]] = {}
        self._answers: dict[str, DataLoader[Any, Any]] = {}

    async def scope(self) -> Scope:
        """The caller's :class:`~graph_service.access.Scope`, read once per context.

        Every loader of the context shares it: a manager's portfolio is read once, by the
        first loader that needs it; other roles' scopes need no read.
        """
        if self._known is None:
            if self._scope is None:
                self._scope = asyncio.ensure_future(Scope.of(self.caller, self.store))
                self._scope.add_done_callback(_retrieve_exception)
            self._known = await asyncio.shield(self._scope)
        return self._known

    def masked_only(self) -> frozenset[str]:
        """The ids of the nodes this context answered masked, and never unmasked.

        From the caller's :class:`~graph_service.access.Scope` (:attr:`~graph_service.
        access.Scope.masked_ids` less :attr:`~graph_service.access.Scope.shown_ids`): the
        audit trail leaves them out of the ids an answer returned unmasked, whether or
        not the query selected ``masked``. Empty before the scope is known.
        """
        scope = self._known
        return frozenset() if scope is None else frozenset(scope.masked_ids - scope.shown_ids)

    def _check_reads_graph(self) -> None:
        """Refuse a caller whose role may not read the graph (``staff``).

        The root fields refuse them by their permission class (``ReadsGraph``); this refuses
        the nested fields too, which they would reach from a referral of theirs (its party's
        and its manager's relationships and linkage answers). A referral's own party and
        manager (``Referral`` neighbours) stay readable, as label and id.

        Raises
        ------
        ForbiddenError
        """
        if self.caller is not None and self.caller.role not in GRAPH_READERS:
            raise ForbiddenError(ReadsGraph.message)

    async def read_nodes(self, label: str, ids: Sequence[str]) -> list[Node | None]:
        """Nodes by id from the store in one call, as the caller may see them, aligned.

        Parameters
        ----------
        label : str
        ids : sequence of str

        Returns
        -------
        list of Node or None
            ``None`` where absent; masked outside the caller's scope.
        """
        found = await self.store.get_nodes(label, ids)
        return (await self.scope()).view_all(found)

    def nodes(self, label: str) -> DataLoader[str, Node | None]:
        """The loader of ``label`` nodes by id (``None`` for an absent id).

        Parameters
        ----------
        label : str
            A :class:`~graph_service.model.NodeLabel` value, e.g. ``"Person"``.
        """
        loader = self._nodes.get(label)
        if loader is None:
            loader = self._nodes[label] = self._loader(
                lambda context, ids: context.read_nodes(label, ids))
        return loader

    def neighbors(
        self, label: str, rel_type: str, direction: Direction
    ) -> DataLoader[str, list[Neighbour]]:
        """The loader of the ``rel_type`` neighbours of ``label`` nodes, by node id.

        Parameters
        ----------
        label : str
            Label of the nodes whose relationships are listed.
        rel_type : str
            A :class:`~graph_service.model.RelationshipType` value.
        direction : Direction
            Follow outgoing or incoming relationships.

        Returns
        -------
        DataLoader
            ``load(id)`` gives the node's ``(Relationship, Node)`` pairs sorted by the other
            node's ``(label, id)``; the ids of one tick are fetched in one store call.
        """
        key = (label, rel_type, direction)
        loader = self._neighbors.get(key)
        if loader is None:

            async def load(context: Context, ids: Sequence[str]) -> list[list[Neighbour]]:
                if label != NodeLabel.REFERRAL.value:
                    context._check_reads_graph()
                found = await context.store.neighbors(label, ids, rel_type, direction)
                scope = await context.scope()
                if scope.unrestricted:
                    return found
                return [[(scope.view_relationship(rel), scope.view(node)) for rel, node in pairs]
                        for pairs in found]  # fmt: skip

            loader = self._neighbors[key] = self._loader(load)
        return loader

    def answers(self, question: Question[Any, Any]) -> DataLoader[Any, Any]:
        """The loader of ``question``'s answers, by argument set (its batch form).

        Parameters
        ----------
        question : Question
            A registered linkage question.

        Returns
        -------
        DataLoader
            ``load(args)`` gives the answer to one argument set (an instance of
            ``question.arguments``), its nodes viewed through the caller's scope, or raises
            its error (``ForbiddenError`` by :meth:`Scope.check
            <graph_service.access.Scope.check>`, ``InvalidInputError``, ``NotFoundError``).
            The argument sets of one tick are answered with one
            :func:`~graph_service.linkage.question.answer_many` call; the subjects it reads
            are kept in the node loaders.
        """
        loader = self._answers.get(question.name)
        if loader is None:
            loader = self._answers[question.name] = self._loader(
                lambda context, many: context.answer_batch(question, many))
        return loader

    def _loader(self, load: Callable[[Context, Sequence[K]], Awaitable[list[V]]]
                ) -> DataLoader[K, V]:  # fmt: skip
        """A DataLoader whose batches are ``load(self, keys)``, holding this context weakly.

        The context keeps its loaders; were they to keep it (a bound method, a closure of
        ``self``), each request would leave a reference cycle, freed by the cyclic GC
        rather than as the request ends: with graphql-core's own
        (:func:`graph_service.api.fast_path._weak_helpers`), about 95 objects a question,
        which made a young collection run every dozen light questions and a full one every
        few hundred (benchmarks/README.md, tuning constants).
        """
        context = weakref.ref(self)

        async def batch(keys: Sequence[K]) -> list[V]:
            alive = context()
            if alive is None:  # the request ended, its resolvers with it: none awaits these
                raise asyncio.CancelledError
            return await load(alive, keys)

        return DataLoader(load_fn=batch)

    async def answer_batch(self, question: Question[Any, Any], many: Sequence[Any]
                           ) -> list[Any | GraphServiceError]:
        """What :meth:`answers`' loader answers for one batch of argument sets.

        Each answer viewed through the caller's scope, or the argument set's error
        (``ForbiddenError``, ``InvalidInputError``, ``NotFoundError``), aligned with
        ``many``; the subjects read are kept in the node loaders. The set-oriented bulk
        plan (:mod:`graph_service.bulk.plan`) calls it for a chunk's distinct argument sets.

        Raises
        ------
        ForbiddenError
            If the caller's role may not read the graph.
        """
        self._check_reads_graph()
        scope = await self.scope()
        refused = {i: error for i, args in enumerate(many)
                   if (error := scope.check(question, args)) is not None}  # fmt: skip
        asked = [args for i, args in enumerate(many) if i not in refused]
        found = iter(await answer_many(question, self.store, self.settings, asked,
                                       nodes=self._load_nodes) if asked else ())
        return [refused[i] if i in refused else _viewed(question, args, scope, next(found))
                for i, args in enumerate(many)]  # fmt: skip

    async def _load_nodes(self, label: str, ids: Sequence[str]) -> list[Node | None]:
        """Read nodes from the store at once and keep them in the node loader (primed).

        The domain gets them whole; the loader keeps them as the caller may see them.
        """
        found = await self.store.get_nodes(label, ids)
        viewed = (await self.scope()).view_all(found)
        self.nodes(label).prime_many(dict(zip(ids, viewed, strict=True)))
        return found


def _viewed(question: Question[Any, Any], args: Any, scope: Scope, answer: Any) -> Any:
    """``answer`` as the caller of ``scope`` sees it.

    Its nodes viewed (:meth:`~graph_service.access.Scope.view_answer`), and a ranked answer
    ranked again where masked items must not be placed by their personal data
    (:meth:`~graph_service.linkage.question.Ranking.viewed`).
    """
    viewed = scope.view_answer(answer)
    ranking = question.ranking
    if ranking is None or ranking.masked is None or scope.unrestricted:
        return viewed  # nothing to rank again
    if not isinstance(viewed, Ranked):
        return viewed
    if isinstance(viewed.items, Lazy):  # every node key is read: at once (Lazy.listed)
        viewed = Ranked(viewed.items.listed(), viewed.sort_keys)
    return ranking.viewed(args, viewed, scope.masked_items(viewed.items))


def make_context(store: GraphStore, settings: Settings, caller: Caller | None = None,
                 request_id: str | None = None, audit: AuditTrail | None = None,
                 audit_wait: bool = False) -> Context:
    """Build the context of one GraphQL execution.

    Use a fresh context per request: the loaders cache for its duration. Documents run
    together over data that does not change meanwhile may share one (the bulk path does).

    Parameters
    ----------
    store : GraphStore
        An open store.
    settings : Settings
        Settings in force.
    caller, request_id, audit, audit_wait
        As :class:`Context` takes them.

    Returns
    -------
    Context

    Examples
    --------
    Run a document in-process, without HTTP (the CLI's ``query`` does this):

    >>> from graph_service.api.schema import schema
    >>> result = await schema.execute(  # doctest: +SKIP
    ...     "query($id: ID!) { payrollCoverage(enterpriseId: $id) { rate } }",
    ...     variable_values={"id": "E1"},
    ...     context_value=make_context(store, settings),
    ... )
    """
    return Context(store, settings, caller, request_id, audit, audit_wait)


__all__ = ["Context", "Neighbour", "make_context", "when_loaded"]
