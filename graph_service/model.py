"""The graph model: node labels, relationship types, their properties and endpoints.

This module is the single description of the property graph that every store, loader and
the GraphQL schema follow (``schema/graph-model.md`` renders it for people).

A node is identified by its label and its id; ids are text and unique per label, so a
``Person`` and an ``Enterprise`` may share an id. A relationship is identified by its type
and its ordered pair of endpoints: there is at most one relationship of a type from one node
to another, and writing it again updates its properties (upsert).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import idna

from graph_service.errors import InvalidInputError, Location


class NodeLabel(StrEnum):
    """Node labels of the linkage graph."""

    ENTERPRISE = "Enterprise"
    PERSON = "Person"
    ACCOUNT = "Account"
    MANAGER = "Manager"
    LOAN = "Loan"
    MEDIUM = "Medium"
    REFERRAL = "Referral"
    CONTACT = "Contact"


class RelationshipType(StrEnum):
    """Relationship types of the linkage graph."""

    EMPLOYED_BY = "EMPLOYED_BY"
    SHAREHOLDER_OF = "SHAREHOLDER_OF"
    OWNS = "OWNS"
    MANAGES = "MANAGES"
    GUARANTEES = "GUARANTEES"
    TRANSFERRED_TO = "TRANSFERRED_TO"
    APPLIED_FOR = "APPLIED_FOR"
    DEPOSITED_TO = "DEPOSITED_TO"
    REPAID = "REPAID"
    WITHDREW_TO = "WITHDREW_TO"
    SIGNED_IN_TO = "SIGNED_IN_TO"
    REFERS = "REFERS"
    REFERRED_TO = "REFERRED_TO"
    CONTACTED = "CONTACTED"
    LOGGED_BY = "LOGGED_BY"


ACTIVITY_TYPES: tuple[str, ...] = tuple(t.value for t in (
    RelationshipType.APPLIED_FOR, RelationshipType.DEPOSITED_TO, RelationshipType.REPAID,
    RelationshipType.WITHDREW_TO, RelationshipType.SIGNED_IN_TO))
"""The relationship types of loans, withdrawals and e-banking sign-ins: followed by the
traversals only when ``relationshipTypes`` names them."""
LINKAGE_TYPES: tuple[str, ...] = tuple(
    t.value for t in RelationshipType if t.value not in ACTIVITY_TYPES
)
"""The relationship types that link clients (employment, shareholding, ownership,
management, guarantees, transfers) and the bank's records about them (referrals and
contacts: ``REFERS``, ``REFERRED_TO``, ``CONTACTED``, ``LOGGED_BY``): what ``clientNetwork``
and ``linkagePaths`` follow when ``relationshipTypes`` is omitted (issue 11: referrals and
contacts appear in networks and paths)."""

NodeKey = tuple[str, str]
"""A node's identity: ``(label, id)``, e.g. ``("Person", "755")``."""


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "y", "t"}:
        return True
    if text in {"false", "0", "no", "n", "f"}:
        return False
    raise ValueError(f"expected a boolean (true/false), got {value!r}")


GRAPHQL_INT_MIN = -(2**31)
GRAPHQL_INT_MAX = 2**31 - 1
"""Bounds of every ``int`` property. GraphQL ``Int`` is a signed 32-bit integer: a stored
value outside it could be loaded but not returned (the API would answer
INTERNAL_SERVER_ERROR), so it is refused at load time instead."""

_BLANKS = " \t\r\n\f\v"
"""Surrounding characters a number, boolean or date-time may carry (ASCII blanks only)."""
_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?",
    re.ASCII,
)
"""``YYYY-MM-DD``, or that with ``[T ]HH:MM[:SS[.f...]]`` and an optional ``Z``/``±HH:MM``."""


def _parse_float(value: Any) -> float:
    """Return a finite float from a number or plain ASCII decimal text; ``-0.0`` becomes 0.0.

    Text: optional sign, digits with an optional fraction (``12``, ``-0.5``, ``.5``,
    ``5.``), optional exponent (``1e-3``). Refused: ``nan``, ``inf``, digit separators
    (``1_000``, ``1,5``), non-ASCII digits (``٠.٥``), hexadecimal, values that overflow.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    number: int | float | str
    if isinstance(value, (int, float)):
        number = value
    else:
        text = str(value).strip(_BLANKS)
        if not _FLOAT.fullmatch(text):
            raise ValueError(f"expected a decimal number, got {value!r}")
        number = text
    try:
        parsed = float(number)
    except OverflowError:
        raise ValueError(f"expected a finite number, got {value!r}") from None
    if not math.isfinite(parsed):
        raise ValueError(f"expected a finite number, got {value!r}")
    return parsed + 0.0  # -0.0 + 0.0 == +0.0: one zero, as JSON and GraphQL show it


def _parse_int(value: Any) -> int:
    """Return an int within the GraphQL ``Int`` range from an int or plain ASCII digits.

    Text: optional sign and ASCII digits (``42``, ``-7``, ``+3``). Refused: digit separators
    (``1_000``), non-ASCII digits (``١٢``), fractions and exponents (``1.0``, ``1e3``), and
    values outside [:data:`GRAPHQL_INT_MIN`, :data:`GRAPHQL_INT_MAX`].
    """
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip(_BLANKS)
        if not _INT.fullmatch(text):
            raise ValueError(f"expected an integer, got {value!r}")
        number = int(text)
    if not GRAPHQL_INT_MIN <= number <= GRAPHQL_INT_MAX:
        raise ValueError(
            f"must be between {GRAPHQL_INT_MIN} and {GRAPHQL_INT_MAX} (GraphQL Int is 32-bit),"
            f" got {value!r}"
        )
    return number


def _utc(value: datetime) -> datetime:
    """``value`` in UTC when it has an offset; as given when it has none."""
    return value if value.tzinfo is None else value.astimezone(UTC)


def _parse_datetime(value: Any) -> str:
    """Return ISO-8601 text from a ``datetime`` or an ISO-8601 calendar date(-time) text.

    Text shapes: ``YYYY-MM-DD``, or ``YYYY-MM-DD[T ]HH:MM[:SS[.f...]]`` with an optional
    ``Z`` or ``±HH:MM`` offset; fields must be a real date and time. Refused: basic format
    (``20200101``), week and ordinal dates (``2020-W01-1``, ``2020-001``), other
    separators, non-ASCII digits. A date alone is stored as midnight; more than 6 fraction
    digits are truncated to microseconds. A time with an offset is stored in UTC (``+00:00``),
    so that stored times compare and sort as texts; one without stays as given.
    """
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    text = str(value).strip(_BLANKS)
    if _DATETIME.fullmatch(text):
        try:
            return _utc(datetime.fromisoformat(text)).isoformat()
        except ValueError:
            pass
    raise ValueError(
        "expected an ISO-8601 date-time (YYYY-MM-DD or YYYY-MM-DD[T ]HH:MM[:SS[.fff]]"
        f"[Z|±HH:MM]), got {value!r}"
    )


SUSPECT_CHARS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufe00-\ufe0f\ufeff\ud800-\udfff\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
"""The characters :func:`unprintable` looks at: the control characters (Unicode category
``Cc``), the line and paragraph separators (``Zl``, ``Zp``), the bidirectional controls
(``Bidi_Control``, UAX #9: embeddings, overrides, isolates and the marks LRM, RLM, ALM), the
invisible format characters (zero width space, non-joiner and joiner, word joiner, invisible
operators U+2060 to U+2064, byte order mark), the tag characters (U+E0000 to U+E007F), the
variation selectors (U+FE00 to U+FE0F, U+E0100 to U+E01EF) and the surrogates (``Cs``).
Every text a load reads without one of them needs no closer look."""
TEXT_BREAKS = "\t\n\r"
"""The control characters a free text (a note, a name in a file) may hold: tab, line feed,
and carriage return when a line feed follows."""

_ZWNJ, _ZWJ = "\u200c", "\u200d"
_BIDI_MARKS = "\u061c\u200e\u200f"
"""The implicit directional marks (UAX #9): ALM, LRM, RLM."""
_EMOJI_MODIFIERS = "\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"
"""What may stand between an emoji and the joiner after it: the emoji presentation selector
(VS16) and the skin tone modifiers (UTS #51)."""
_RGI_TAG_FLAGS = tuple(
    "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in region) + "\U000e007f"
    for region in ("gbeng", "gbsct", "gbwls")
)
"""The only emoji tag sequences recommended for general interchange (UTS #51, ``RGI_Emoji_Tag
_Sequence``): the flags of England, Scotland and Wales, a black flag followed by tag letters
and the cancel tag. Every other use of a tag character is invisible text."""
_JOINER_WINDOW = 32
"""Characters read on each side of a joiner to decide its context (far more than any
conjunct or Arabic joining context holds; :func:`idna.valid_contextj` reads 1,024 at most)."""


def _joiner_in_context(value: str, position: int) -> bool:
    """Whether the joiner at ``position`` shapes the text around it rather than hides in it.

    Allowed as identifiers allow them (UAX #31 section 2.3, as UTS #39 and Unicode TR #36
    refer to it, and RFC 5892 appendix A.1 and A.2 for IDNA, whose check
    :func:`idna.valid_contextj` decides it): a zero width non-joiner or joiner after a virama
    (Indic conjuncts, e.g. Devanagari ``क्‍ष``, Malayalam chillus), a non-joiner between
    letters that would join (Persian and Arabic names, e.g. ``علی‌رضا``). Besides, a zero
    width joiner between two emoji (UTS #51 emoji ZWJ sequences, e.g. ``👩‍💻``): a
    pictographic symbol (category ``So``, optionally followed by VS16 or a skin tone
    modifier) before it and one after it.
    """
    if value[position] == _ZWJ and position + 1 < len(value):
        before = position - 1
        while before >= 0 and position - before <= 2 and value[before] in _EMOJI_MODIFIERS:
            before -= 1
        if (before >= 0 and unicodedata.category(value[before]) == "So"
                and unicodedata.category(value[position + 1]) == "So"):  # fmt: skip
            return True
    start = max(0, position - _JOINER_WINDOW)
    try:
        return idna.valid_contextj(value[start : position + _JOINER_WINDOW + 1], position - start)
    except ValueError:  # a neighbour Unicode does not name (unassigned)
        return False


def _mark_in_context(value: str, position: int) -> bool:
    """Whether the directional mark at ``position`` orders the text rather than hides in it.

    Keyboards and editors for Hebrew and Arabic put a mark beside a number, a space or
    punctuation so that mixed-direction text shows in order (UAX #9, implicit directional
    marks); there it hides nothing. Refused inside a word (a letter, mark or digit on each
    side), where it only splits the word that searches and filters look for, and next to
    another format character, where runs of invisible characters encode hidden data.
    """
    around = value[max(0, position - 1) : position] + value[position + 1 : position + 2]
    if any(unicodedata.category(char) == "Cf" for char in around):
        return False
    return not (len(around) == 2 and position > 0
                and all(unicodedata.category(char)[0] in "LMN" for char in around))  # fmt: skip


def _in_tag_flag(value: str, position: int) -> bool:
    """Whether the tag character at ``position`` is part of an RGI flag (:data:`_RGI_TAG_FLAGS`)."""
    start = value.rfind("\U0001f3f4", max(0, position - 6), position)
    return start >= 0 and any(value.startswith(flag, start) for flag in _RGI_TAG_FLAGS)


def _variation_selector(char: str) -> bool:
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


def unprintable(value: str, allowed: str = "") -> str | None:
    """Why ``value`` cannot be stored as a text, or ``None`` when it can.

    Refused: a control character but ``allowed``, a carriage return not followed by a line
    feed, a line or paragraph separator, a bidirectional embedding, override or isolate, an
    invisible character, a tag character, a variation selector that follows another one or
    nothing, a lone surrogate.

    Control characters in stored texts end up in logs, CSV exports and terminals (the
    escape sequences of ``ESC``; a lone ``CR`` rewrites the line shown), where they can
    forge lines or hide text; separators and bidirectional controls do the same in
    browsers and editors ("Trojan Source", CVE-2021-42574). Invisible characters (zero
    width space, word joiner, invisible operators, byte order mark) make two texts that look
    the same differ, or split a word that filters and searches look for; tag characters
    mirror ASCII invisibly ("ASCII smuggling": instructions a reader does not see and a
    language model reads), and so does a run of variation selectors, one byte each. Unicode
    TR #36 (Unicode Security Considerations) names these default-ignorable code points as
    spoofing means, and UTS #39's General Security Profile restricts them in identifiers.
    Kept where scripts and emoji need them: a zero width joiner or non-joiner in the
    contexts :func:`_joiner_in_context` names, a directional mark where
    :func:`_mark_in_context` says it orders text, a tag character in an RGI flag
    (:data:`_RGI_TAG_FLAGS`), one variation selector after a character (``❤️``).

    A lone surrogate (U+D800 to U+DFFF, which a JSON escape can give and no UTF-8 text
    holds) cannot be written as UTF-8: stored, it made the audit record of each mutation
    showing it fail.

    Parameters
    ----------
    value : str
    allowed : str
        Control characters allowed (:data:`TEXT_BREAKS` for free texts).

    Returns
    -------
    str or None
        The first refused character, its position (0-based, in characters) and why, as
        ``"holds ... at position N..."``, to be prefixed with what holds it.
    """
    for match in SUSPECT_CHARS.finditer(value):
        char, position = match.group(), match.start()
        if "\ud800" <= char <= "\udfff":
            return (f"holds the lone surrogate U+{ord(char):04X} at position {position}, "
                    "which is no character")  # fmt: skip
        if char == "\r" and value[position + 1 : position + 2] != "\n":
            forges = "carriage return without a line feed"
        elif char in "\u2028\u2029":
            forges = "line or paragraph separator"
        elif char in _BIDI_MARKS:
            if _mark_in_context(value, position):
                continue
            return (f"holds U+{ord(char):04X} at position {position}: a directional mark "
                    "inside a word or beside another invisible character, where it orders "
                    "nothing and can hide or split text")  # fmt: skip
        elif "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
            forges = "bidirectional control"
        elif char in (_ZWNJ, _ZWJ):
            if _joiner_in_context(value, position):
                continue
            return (f"holds U+{ord(char):04X} at position {position}: a zero width "
                    f"{'joiner' if char == _ZWJ else 'non-joiner'} outside an emoji sequence "
                    "or a script's joining context, which is invisible and can hide or split "
                    "text")  # fmt: skip
        elif "\U000e0000" <= char <= "\U000e007f":
            if _in_tag_flag(value, position):
                continue
            return (f"holds U+{ord(char):04X} at position {position}: a tag character, "
                    "which is invisible and can hide text")  # fmt: skip
        elif _variation_selector(char):
            if position > 0 and not _variation_selector(value[position - 1]):
                continue
            return (f"holds U+{ord(char):04X} at position {position}: a variation selector "
                    f"{'after another' if position else 'with no character before it'}, "
                    "which is invisible and can hide text")  # fmt: skip
        elif char >= "\u200b":
            return (f"holds U+{ord(char):04X} at position {position}: an invisible "
                    "character, which can hide or split text")  # fmt: skip
        elif char in allowed:
            continue
        else:
            return f"holds the control character U+{ord(char):04X} at position {position}" + (
                ", where only tabs and line breaks are allowed" if allowed else "")
        return (f"holds U+{ord(char):04X} at position {position}: a {forges}, which can "
                "forge how the text is shown")  # fmt: skip
    return None


def _parse_text(value: Any) -> str:
    text = str(value)
    reason = unprintable(text, TEXT_BREAKS)
    if reason is not None:
        raise ValueError(reason)
    return text


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """One declared property of a label or relationship type.

    Parameters
    ----------
    name : str
        Property name as stored and as exposed in GraphQL (camelCase).
    column : str
        Column name in canonical CSV files (snake_case).
    kind : {"text", "bool", "float", "int", "datetime"}
        Value type; datetimes are stored as ISO-8601 text. Text is read strictly: ints and
        floats as plain ASCII decimals, ints within the GraphQL ``Int`` range
        (:data:`GRAPHQL_INT_MIN` to :data:`GRAPHQL_INT_MAX`), datetimes as ISO-8601
        calendar date-times (see ``loaders/canonical-csv.md``).
    required : bool
        Whether every node or relationship must carry a value.
    choices : tuple of str
        Allowed values for text properties; empty means any text.
    default : object
        Value a reader sees when a node or relationship has no stored value (``None``: no
        value). Loaders never write it: an absent column or empty field leaves the stored
        value as it is (``loaders/canonical-csv.md``), so a later load cannot reset it.
    minimum, maximum : float or None
        Inclusive bounds for numeric properties.
    """

    name: str
    column: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None

    def parse(self, value: Any) -> Any:
        """Convert a raw value (text from a file, or a Python value) to the stored type.

        Raises
        ------
        ValueError
            If the value does not have the declared type, choice or range.
        """
        parsed = _PARSERS[self.kind](value)
        if self.choices and parsed not in self.choices:
            raise ValueError(f"expected one of {', '.join(self.choices)}, got {value!r}")
        if self.minimum is not None and parsed < self.minimum:
            raise ValueError(f"must be >= {self.minimum}, got {value!r}")
        if self.maximum is not None and parsed > self.maximum:
            raise ValueError(f"must be <= {self.maximum}, got {value!r}")
        return parsed


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "text": _parse_text,
    "bool": _parse_bool,
    "float": _parse_float,
    "int": _parse_int,
    "datetime": _parse_datetime,
}


@dataclass(frozen=True, slots=True)
class ElementSpec:
    """Declared properties of one node label or relationship type.

    Parameters
    ----------
    name : str
        The label or relationship type.
    properties : tuple of PropertySpec
        Declared properties; any other property is kept as given (extra CSV columns).
    endpoints : tuple of (str, str)
        For relationship types only: the allowed ``(start label, end label)`` pairs.
    """

    name: str
    properties: tuple[PropertySpec, ...]
    endpoints: tuple[tuple[str, str], ...] = ()
    by_name: Mapping[str, PropertySpec] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {p.name: p for p in self.properties})

    def coerce(self, raw: Mapping[str, Any], location: Location) -> dict[str, Any]:
        """Validate and convert a property map to stored types.

        Parameters
        ----------
        raw : mapping of str to object
            Property names (declared names; others are kept verbatim as extra properties)
            to raw values. ``None`` and blank text (empty or only spaces) mean "absent".
        location : Location
            Where the row came from; the failing field is added to it in errors.

        Returns
        -------
        dict
            Stored properties, declared ones converted, absent optional ones left out (their
            defaults are applied when read, see :data:`NODE_DEFAULTS`).

        Raises
        ------
        InvalidInputError
            If a required property is absent, a value has the wrong type, choice or range, or
        a text holds a character :func:`unprintable` refuses.
        """
        props: dict[str, Any] = {}
        for spec in self.properties:
            value = raw.get(spec.name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if spec.required:
                    raise InvalidInputError(
                        f"{self.name}.{spec.name} is required",
                        Location(location.file, location.line, spec.column),
                    )
                continue
            try:
                props[spec.name] = spec.parse(value)
            except ValueError as exc:
                raise InvalidInputError(
                    f"{self.name}.{spec.name}: {exc}",
                    Location(location.file, location.line, spec.column),
                ) from None
        for name, value in raw.items():
            if name not in self.by_name and value is not None and value != "":
                reason = unprintable(value, TEXT_BREAKS) if isinstance(value, str) else None
                if reason is not None:
                    raise InvalidInputError(f"{self.name}.{name} {reason}",
                                            Location(location.file, location.line, name))
                props[name] = value
        return props


def _p(name: str, column: str, kind: str = "text", **kw: Any) -> PropertySpec:
    return PropertySpec(name=name, column=column, kind=kind, **kw)


_NAME = _p("name", "name", required=True)
_BLOCKED = _p("blocked", "blocked", "bool", default=False)
_CREATED = _p("createdAt", "created_at", "datetime")



class ReferralStatus(StrEnum):
    """A referral's statuses; the allowed moves are :data:`REFERRAL_TRANSITIONS`."""

    OPEN = "OPEN"
    CONTACTED = "CONTACTED"
    CONVERTED = "CONVERTED"
    DECLINED = "DECLINED"


class ContactKind(StrEnum):
    """The kinds of a logged contact."""

    VISIT = "VISIT"
    CALL = "CALL"
    MEETING = "MEETING"
    MESSAGE = "MESSAGE"


REFERRAL_STATUSES: tuple[str, ...] = tuple(s.value for s in ReferralStatus)
"""A referral's statuses, in workflow order."""
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    "OPEN": frozenset({"CONTACTED"}),
    "CONTACTED": frozenset({"CONVERTED", "DECLINED"}),
    "CONVERTED": frozenset(),
    "DECLINED": frozenset(),
}
"""Status to the statuses it may move to (OPEN -> CONTACTED -> CONVERTED | DECLINED)."""
CONTACT_KINDS: tuple[str, ...] = tuple(k.value for k in ContactKind)
"""The kinds of a logged contact."""

NODE_SPECS: dict[str, ElementSpec] = {
    NodeLabel.ENTERPRISE.value: ElementSpec(
        "Enterprise",
        (_NAME, _p("industry", "industry"), _p("region", "region"), _BLOCKED, _CREATED),
    ),
    NodeLabel.PERSON.value: ElementSpec(
        "Person",
        (_NAME, _p("segment", "segment", choices=("mass", "affluent", "private")),
         _BLOCKED, _CREATED),
    ),
    NodeLabel.ACCOUNT.value: ElementSpec(
        "Account",
        (
            _p("type", "type", required=True),
            _p("status", "status", required=True, choices=("active", "blocked", "dormant")),
            _p("openedAt", "opened_at", "datetime"),
            _p("balance", "balance", "float"),
            _p("lastActivityAt", "last_activity_at", "datetime"),
        ),
    ),
    NodeLabel.MANAGER.value: ElementSpec(
        "Manager",
        (
            _NAME,
            _p("kind", "kind", required=True,
               choices=("corporate", "retail", "private_banking")),
            _p("branch", "branch"),
        ),
    ),
    NodeLabel.LOAN.value: ElementSpec(
        "Loan",
        (_p("loanAmount", "loan_amount", "float"), _p("balance", "balance", "float"), _CREATED),
    ),
    NodeLabel.MEDIUM.value: ElementSpec(
        "Medium", (_p("type", "type", required=True), _BLOCKED, _CREATED)
    ),
    NodeLabel.REFERRAL.value: ElementSpec(
        "Referral",
        (
            _p("status", "status", required=True, choices=REFERRAL_STATUSES),
            _p("version", "version", "int", required=True, minimum=1),
            _p("product", "product"),
            _p("note", "note"),
            _p("referredBy", "referred_by"),
            _p("idempotencyKey", "idempotency_key"),
            _CREATED,
            _p("updatedAt", "updated_at", "datetime"),
        ),
    ),
    NodeLabel.CONTACT.value: ElementSpec(
        "Contact",
        (
            _p("kind", "kind", required=True, choices=CONTACT_KINDS),
            _p("at", "at", "datetime", required=True),
            _p("outcome", "outcome"),
            _p("note", "note"),
            _p("loggedBy", "logged_by"),
            _p("idempotencyKey", "idempotency_key"),
            _CREATED,
        ),
    ),
}
"""Declared node properties per label. ``id`` is the key and not listed here.

A ``Referral`` (a party recommended to an account manager) and a ``Contact`` (a visit,
call, meeting or message with a party) are recorded by the mutations
(:mod:`graph_service.linkage.commands`) or loaded from ``referrals.csv`` and
``contacts.csv``; ``referredBy`` and ``loggedBy`` name the caller (token subject) who
recorded them."""

_P, _E, _A, _M, _L, _MD, _R, _C = (label.value for label in (
    NodeLabel.PERSON, NodeLabel.ENTERPRISE, NodeLabel.ACCOUNT, NodeLabel.MANAGER,
    NodeLabel.LOAN, NodeLabel.MEDIUM, NodeLabel.REFERRAL, NodeLabel.CONTACT))
_COUNT = _p("count", "count", "int", required=True, minimum=1, maximum=GRAPHQL_INT_MAX)
_TOTAL = _p("totalAmount", "total_amount", "float", required=True)
_LAST = _p("lastAt", "last_at", "datetime")

RELATIONSHIP_SPECS: dict[str, ElementSpec] = {
    RelationshipType.EMPLOYED_BY.value: ElementSpec(
        "EMPLOYED_BY",
        (
            _p("role", "role", required=True, choices=("employee", "executive")),
            _p("title", "title"),
            _p("source", "source"),
        ),
        ((_P, _E),),
    ),
    RelationshipType.SHAREHOLDER_OF.value: ElementSpec(
        "SHAREHOLDER_OF",
        (_p("ratio", "ratio", "float", required=True, minimum=0.0, maximum=1.0),),
        ((_P, _E), (_E, _E)),
    ),
    RelationshipType.OWNS.value: ElementSpec("OWNS", (), ((_P, _A), (_E, _A))),
    RelationshipType.MANAGES.value: ElementSpec("MANAGES", (), ((_M, _E), (_M, _P))),
    RelationshipType.GUARANTEES.value: ElementSpec("GUARANTEES", (), ((_P, _P), (_E, _E))),
    RelationshipType.TRANSFERRED_TO.value: ElementSpec(
        "TRANSFERRED_TO",
        (
            # At most GRAPHQL_INT_MAX (as every int property): GraphQL Int is 32-bit, and a
            # larger count would load but make every query returning it fail.
            _COUNT,
            _TOTAL,
        ),
        ((_A, _A),),
    ),
    RelationshipType.APPLIED_FOR.value: ElementSpec("APPLIED_FOR", (), ((_P, _L), (_E, _L))),
    RelationshipType.DEPOSITED_TO.value: ElementSpec(
        "DEPOSITED_TO", (_COUNT, _TOTAL, _LAST), ((_L, _A),)
    ),
    RelationshipType.REPAID.value: ElementSpec("REPAID", (_COUNT, _TOTAL, _LAST), ((_A, _L),)),
    RelationshipType.WITHDREW_TO.value: ElementSpec(
        "WITHDREW_TO", (_COUNT, _TOTAL, _LAST), ((_A, _A),)
    ),
    RelationshipType.SIGNED_IN_TO.value: ElementSpec(
        "SIGNED_IN_TO", (_COUNT, _LAST), ((_MD, _A),)
    ),
    RelationshipType.REFERS.value: ElementSpec("REFERS", (), ((_R, _P), (_R, _E))),
    RelationshipType.REFERRED_TO.value: ElementSpec("REFERRED_TO", (), ((_R, _M),)),
    RelationshipType.CONTACTED.value: ElementSpec("CONTACTED", (), ((_C, _P), (_C, _E))),
    RelationshipType.LOGGED_BY.value: ElementSpec("LOGGED_BY", (), ((_C, _M),)),
}
"""Declared relationship properties and allowed endpoint labels per relationship type.

``REFERS`` joins a referral to the party referred, ``REFERRED_TO`` to the account manager
it is referred to; ``CONTACTED`` joins a contact to the party contacted, ``LOGGED_BY`` to
the manager who logged it (absent when an admin without a manager node logged it)."""

NODE_DEFAULTS: dict[str, dict[str, Any]] = {
    label: {p.name: p.default for p in spec.properties if p.default is not None}
    for label, spec in NODE_SPECS.items()
}
"""``{property: default}`` per node label: what a reader answers for a node without a stored
value (``PropertySpec.default``; today ``blocked: False`` of people, enterprises and media)."""


def camel_case(name: str) -> str:
    """A Python name as the GraphQL schema publishes it (``uncovered_employees``: camelCase).

    The rule of strawberry's name converter (``strawberry.utils.str_converters.
    to_camel_case``: each part after an underscore capitalised, an empty part kept as
    ``_``), here so that the commands that run no GraphQL (``report``) need not import
    strawberry; tests/test_model.py checks that both agree on every published name.
    """
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() if part else "_" for part in rest)


PERSONAL_FIELDS: Mapping[str, frozenset[str]] = {
    NodeLabel.PERSON.value: frozenset({"name", "segment", "productsHeld"}),
    NodeLabel.ENTERPRISE.value: frozenset({"name"}),
    # What an account is, its state and its activity tell what its owners hold and do.
    NodeLabel.ACCOUNT.value: frozenset({"type", "status", "openedAt", "balance",
                                        "lastActivityAt"}),
    NodeLabel.LOAN.value: frozenset({"loanAmount", "loan_amount", "balance"}),
    NodeLabel.REFERRAL.value: frozenset({"product", "note"}),
    NodeLabel.CONTACT.value: frozenset({"outcome", "note"}),
}
"""The personal data of clients, per node label: the one place fields are marked personal.

Names are published field names (camelCase), stored properties (``name``) and fields
answered by a linkage question (``productsHeld``) alike. Besides these, every property a
label does not declare (an extra CSV column: national ids, IBANs) is personal. A node whose
personal data the caller may not see is *masked* (:mod:`graph_service.access`): these fields
answer ``null`` (the schema makes them nullable), its undeclared properties are left out of
``properties``, and ``masked`` is ``true``. ``Manager`` nodes (bank staff) have none: they
are never masked. A ``Referral``'s or ``Contact``'s free texts (``product``, ``note``,
``outcome``) say what the bank knows of its party, so they are that party's personal data;
their status, kind, times, authors and idempotency keys are not.
Marking another field personal is one more name here."""


_MONEY_MOVED = frozenset({"count", "totalAmount", "lastAt"})

PERSONAL_RELATIONSHIP_FIELDS: Mapping[str, frozenset[str]] = {
    RelationshipType.TRANSFERRED_TO.value: _MONEY_MOVED,
    RelationshipType.WITHDREW_TO.value: _MONEY_MOVED,
    RelationshipType.DEPOSITED_TO.value: _MONEY_MOVED,
    RelationshipType.REPAID.value: _MONEY_MOVED,
    RelationshipType.SIGNED_IN_TO.value: frozenset({"count", "lastAt"}),
}
"""The personal data of relationships, per type: the one place they are marked personal.

How much money moved between a client's accounts and loans, how often and when, and when
they signed in: an account's history is its owners' personal data. Names are stored
properties and published edge fields alike (``TransferEdge.totalAmount``). Besides these,
every property a type does not declare is personal. On a relationship one of whose ends is
masked for the caller (:meth:`graph_service.access.Scope.view_relationship`), these answer
``null`` (the schema makes them nullable) and are left out of ``properties``, like a masked
node's personal fields; the relationship itself, its type and its ends' ids stay, as a
masked node's label and id do. The others (``EMPLOYED_BY`` role, ``SHAREHOLDER_OF``
ratio) are not marked: they are the linkage itself. Marking another one is one more name
here."""


def _marked_or_undeclared(specs: Mapping[str, ElementSpec],
                          marked: Mapping[str, frozenset[str]], element: str, name: str) -> bool:
    """Whether property ``name`` of ``element`` is marked in ``marked`` or not declared."""
    spec = specs.get(element)
    return name in marked.get(element, frozenset()) or spec is None or name not in spec.by_name


@functools.cache
def personal_relationship_property(rel_type: str, name: str) -> bool:
    """Whether the stored property ``name`` of ``rel_type`` relationships is personal data.

    ``True`` for the names of :data:`PERSONAL_RELATIONSHIP_FIELDS` and for any property
    ``rel_type`` does not declare (an extra column). Memoised, as :func:`personal_property`.
    """
    return _marked_or_undeclared(RELATIONSHIP_SPECS, PERSONAL_RELATIONSHIP_FIELDS, rel_type, name)


@functools.cache
def personal_property(label: str, name: str) -> bool:
    """Whether the stored property ``name`` of ``label`` nodes is personal data.

    Parameters
    ----------
    label : str
        A :class:`NodeLabel` value.
    name : str
        A stored property's name.

    Returns
    -------
    bool
        ``True`` for the names of :data:`PERSONAL_FIELDS` and for any property ``label``
        does not declare (an extra column); ``False`` for every property of a ``Manager``.
        Memoised: the marks and the declared properties are constants of this module.
    """
    if label == NodeLabel.MANAGER.value:
        return False
    return _marked_or_undeclared(NODE_SPECS, PERSONAL_FIELDS, label, name)


_LABELS_BY_LOWER = {label.value.lower(): label.value for label in NodeLabel}


def parse_label(text: str, location: Location) -> str:
    """Return the canonical node label for ``text`` (case-insensitive).

    Raises
    ------
    InvalidInputError
        If ``text`` names no label of the model.
    """
    label = _LABELS_BY_LOWER.get(text.strip().lower())
    if label is not None:
        return label
    raise InvalidInputError(
        f"unknown label {text!r}; expected one of {', '.join(n.value for n in NodeLabel)}",
        location,
    )


def check_endpoints(rel_type: str, start_label: str, end_label: str, location: Location) -> None:
    """Check that a relationship type may join the two labels.

    Raises
    ------
    InvalidInputError
        If the type is unknown or the pair of labels is not allowed by the model.
    """
    spec = RELATIONSHIP_SPECS.get(rel_type)
    if spec is None:
        raise InvalidInputError(f"unknown relationship type {rel_type!r}", location)
    if (start_label, end_label) not in spec.endpoints:
        allowed = ", ".join(f"({a})->({b})" for a, b in spec.endpoints)
        raise InvalidInputError(
            f"{rel_type} cannot join ({start_label})->({end_label}); allowed: {allowed}",
            location,
        )
