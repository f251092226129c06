"""The Mutation root: referrals, contacts, assignments, on every store, by role, audited."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_service.access import portfolio
from graph_service.api.context import make_context
from graph_service.api.fast_path import schema_for
from graph_service.audit import AuditTrail, read_records
from graph_service.auth.caller import Caller, Role
from graph_service.auth.tokens import LocalIssuer
from graph_service.bulk.runner import execute_many
from graph_service.config import Settings
from graph_service.ingest.canonical import read_canonical
from graph_service.ingest.generator import generate
from graph_service.linkage import commands
from graph_service.stores.base import GraphStore
from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client, running
from tests.conftest import backend_settings, close, store_for, write_small_bank

STAFF = Caller("sam", Role.STAFF)
OTHER_STAFF = Caller("sue", Role.STAFF)
MONA = Caller("mona", Role.MANAGER, manager_id="M1")
REX = Caller("rex", Role.MANAGER, manager_id="M2")
ADMIN = Caller("root", Role.ADMIN)
ANALYST = Caller("ann", Role.ANALYST)
APP = Caller("crm", Role.APP)

CREATE = """mutation($in: CreateReferralInput!) {
  createReferral(input: $in) {
    id status version product note referredBy
    party { ... on Person { id } ... on Enterprise { id } } toManager { id }
  }
}"""
UPDATE = """mutation($id: ID!, $status: ReferralStatus!, $version: Int!) {
  updateReferral(id: $id, status: $status, expectedVersion: $version) { id status version }
}"""
LOG = """mutation($in: LogContactInput!) {
  logContact(input: $in) {
    id kind at outcome loggedBy manager { id } party { ... on Enterprise { id } }
  }
}"""
ASSIGN = """mutation($m: ID!, $p: NodeRef!) {
  assignClient(managerId: $m, party: $p) { assigned changed manager { id }
                                           party { ... on Person { id } } }
}"""
UNASSIGN = ASSIGN.replace("assignClient", "unassignClient")
CONVERSION = """{
  byManager: referralConversion(groupBy: MANAGER) { key referred contacted converted rate }
  byBranch: referralConversion(groupBy: BRANCH) { key referred contacted converted rate }
}"""


def referral_input(key: str = "k1", party: tuple[str, str] = ("PERSON", "P1"),
                   manager: str = "M2", **extra: Any) -> dict[str, Any]:
    return {"in": {"party": {"label": party[0], "id": party[1]}, "toManagerId": manager,
                   "idempotencyKey": key, **extra}}


class Runner:
    """Runs documents in-process against one store, as a given caller, audited."""

    def __init__(self, store: GraphStore, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self.trail = settings.data_dir / "runner-audit"
        self.changes: list[dict[str, Any]] = []

    def __call__(self, document: str, variables: dict[str, Any] | None = None,
                 caller: Caller | None = STAFF) -> tuple[Any, list[str], list[str]]:
        """``(data, error codes, error messages)``; ``changes``: the audit record's."""
        trail = AuditTrail(self.trail, 1 << 30)
        context = make_context(self.store, self.settings, caller, audit=trail, audit_wait=True)
        try:
            result = asyncio.run(schema_for(self.settings).execute(
                document, variable_values=variables, context_value=context))
        finally:
            trail.close()
        record = list(read_records(self.trail))[-1]
        self.changes = record.get("changes", [])
        errors = result.errors or []
        return (result.data, [str((e.extensions or {}).get("code")) for e in errors],
                [e.message for e in errors])

    def data(self, document: str, variables: dict[str, Any] | None = None,
             caller: Caller | None = STAFF) -> Any:
        data, codes, messages = self(document, variables, caller)
        assert not codes, messages
        return data

    def counts(self) -> dict[str, int]:
        return asyncio.run(self.store.counts())


@pytest.fixture
def run(bank: GraphStore, tmp_path: Path) -> Runner:
    """The small bank in each store (embedded, FalkorDB), run in-process."""
    return Runner(bank, Settings(data_dir=tmp_path))


def test_a_referral_from_creation_to_conversion(run: Runner) -> None:
    created = run.data(CREATE, referral_input(product="credit card", note="met at the desk"))
    referral = created["createReferral"]
    assert referral["id"] == commands.referral_id(STAFF, "k1")
    assert {k: referral[k] for k in ("status", "version", "product", "note", "referredBy")} == {
        "status": "OPEN", "version": 1, "product": "credit card", "note": "met at the desk",
        "referredBy": "sam"}
    assert referral["party"] == {"id": "P1"} and referral["toManager"] == {"id": "M2"}
    # The same key again answers the same referral and writes nothing.
    again = run.data(CREATE, referral_input(product="credit card", note="met at the desk"))
    assert again == created
    assert run.changes == []
    assert run.counts()["Referral"] == 1 and run.counts()["REFERS"] == 1
    # Another caller's key of the same text is another referral.
    other = run.data(CREATE, referral_input(), caller=OTHER_STAFF)["createReferral"]["id"]
    assert other != referral["id"]

    rid = referral["id"]
    moved = run.data(UPDATE, {"id": rid, "status": "CONTACTED", "version": 1}, caller=REX)
    assert moved["updateReferral"] == {"id": rid, "status": "CONTACTED", "version": 2}
    moved = run.data(UPDATE, {"id": rid, "status": "CONVERTED", "version": 2}, caller=REX)
    assert moved["updateReferral"]["version"] == 3

    fields = run.data("""{
      person(id: "P1") { referrals { totalCount edges { node { id status } } } }
      manager(id: "M2") { referralsReceived { totalCount edges { node { id } } } }
      clientNetwork(node: {label: PERSON, id: "P1"}, depth: 1) { nodes { label id } }
    }""", caller=ADMIN)
    assert sorted((e["node"]["id"], e["node"]["status"])
                  for e in fields["person"]["referrals"]["edges"]) == sorted(
        [(rid, "CONVERTED"), (other, "OPEN")])
    assert fields["person"]["referrals"]["totalCount"] == 2
    assert fields["manager"]["referralsReceived"]["totalCount"] == 2
    assert {"label": "REFERRAL", "id": rid} in fields["clientNetwork"]["nodes"]
    found = run.data("""query($text: String!) {
      search(text: $text) { edges { node { __typename ... on Referral { id status } } } }
    }""", {"text": rid}, caller=ADMIN)  # search looks every label up by id
    assert found["search"]["edges"] == [
        {"node": {"__typename": "Referral", "id": rid, "status": "CONVERTED"}}]
    conversion = run.data(CONVERSION, caller=ADMIN)
    assert conversion["byManager"] == [
        {"key": "M2", "referred": 2, "contacted": 1, "converted": 1, "rate": 0.5}]
    assert conversion["byBranch"] == [
        {"key": "North", "referred": 2, "contacted": 1, "converted": 1, "rate": 0.5}]


def test_stale_versions_reused_keys_and_refused_transitions(run: Runner) -> None:
    rid = run.data(CREATE, referral_input())["createReferral"]["id"]
    before = run.counts()
    cases = [
        (UPDATE, {"id": rid, "status": "CONVERTED", "version": 1}, "INVALID_TRANSITION", "OPEN"),
        (UPDATE, {"id": rid, "status": "OPEN", "version": 1}, "INVALID_TRANSITION", "OPEN"),
        (UPDATE, {"id": rid, "status": "CONTACTED", "version": 4}, "CONFLICT",
         "stale expectedVersion 4"),
        (CREATE, referral_input(product="another product"), "CONFLICT", "idempotencyKey"),
    ]
    for document, variables, code, text in cases:
        data, codes, messages = run(document, variables, caller=REX if "id" in variables else STAFF)
        assert (data, codes) == (None, [code]), messages
        assert text in messages[0]
    run.data(UPDATE, {"id": rid, "status": "CONTACTED", "version": 1}, caller=REX)
    data, codes, _ = run(UPDATE, {"id": rid, "status": "DECLINED", "version": 1}, caller=REX)
    assert codes == ["CONFLICT"]
    data, codes, _ = run(UPDATE, {"id": rid, "status": "DECLINED", "version": 2}, caller=REX)
    assert data["updateReferral"]["status"] == "DECLINED"
    data, codes, _ = run(UPDATE, {"id": rid, "status": "CONVERTED", "version": 3}, caller=REX)
    assert codes == ["INVALID_TRANSITION"]
    assert run.counts() == before


@pytest.mark.parametrize(("document", "variables", "code", "argument"), [
    (CREATE, referral_input(party=("ACCOUNT", "A1")), "BAD_USER_INPUT", "input.party"),
    (CREATE, referral_input(party=("MANAGER", "M1")), "BAD_USER_INPUT", "input.party"),
    (CREATE, referral_input(key="  "), "BAD_USER_INPUT", "input.idempotencyKey"),
    (CREATE, referral_input(key="k" * 201), "BAD_USER_INPUT", "input.idempotencyKey"),
    (CREATE, referral_input(note="n" * 2001), "BAD_USER_INPUT", "input.note"),
    (CREATE, referral_input(note="ok\x1b[2Jforged"), "BAD_USER_INPUT",
     "input.note holds the control character U+001B at position 2"),
    (CREATE, referral_input(product="card\x00"), "BAD_USER_INPUT", "input.product"),
    (CREATE, referral_input(note="ok\rFAKE LINE"), "BAD_USER_INPUT",
     "input.note holds U+000D at position 2: a carriage return without a line feed"),
    (CREATE, referral_input(note="invoice \u202egnp.exe"), "BAD_USER_INPUT",
     "input.note holds U+202E at position 8: a bidirectional control"),
    (CREATE, referral_input(note="a\u2028b"), "BAD_USER_INPUT", "separator"),
    (CREATE, referral_input(note="x \ud83d"), "BAD_USER_INPUT",
     "input.note holds the lone surrogate U+D83D at position 2"),
    (CREATE, referral_input(key="k\n1"), "BAD_USER_INPUT", "input.idempotencyKey"),
    # invisible characters: they hide text (tag characters mirror ASCII: "ASCII smuggling")
    (CREATE, referral_input(note="call\u200bme"), "BAD_USER_INPUT",
     "input.note holds U+200B at position 4: an invisible character"),
    (CREATE, referral_input(note="\ufeffok"), "BAD_USER_INPUT",
     "input.note holds U+FEFF at position 0: an invisible character"),
    (CREATE, referral_input(note="a\u2062b"), "BAD_USER_INPUT", "input.note holds U+2062"),
    (CREATE, referral_input(note="ad\u200dmin"), "BAD_USER_INPUT",
     "input.note holds U+200D at position 2: a zero width joiner outside an emoji sequence"),
    (CREATE, referral_input(note="pay\u200ccard"), "BAD_USER_INPUT",
     "input.note holds U+200C at position 3: a zero width non-joiner"),
    (CREATE, referral_input(note="fine" + "".join(chr(0xE0000 + ord(c)) for c in "ignore all")),
     "BAD_USER_INPUT", "input.note holds U+E0069 at position 4: a tag character, which is "
     "invisible and can hide text"),
    (CREATE, referral_input(note="x\u200eRLM"), "BAD_USER_INPUT",
     "input.note holds U+200E at position 1: a directional mark inside a word"),
    (CREATE, referral_input(note="1\u200e\u200f\u200e2"), "BAD_USER_INPUT",
     "input.note holds U+200E at position 1: a directional mark inside a word or beside "
     "another invisible character"),
    (CREATE, referral_input(note="ok\ufe00\ufe01\ufe02"), "BAD_USER_INPUT",
     "input.note holds U+FE01 at position 3: a variation selector after another"),
    (CREATE, referral_input(key="k\u200b1"), "BAD_USER_INPUT", "input.idempotencyKey holds U+200B"),
    (LOG, {"in": {"party": {"label": "PERSON", "id": "P1"}, "kind": "CALL",
                  "at": "2026-12-01T10:00:00Z", "outcome": "agreed\U000e0020\U000e0070"}},
     "BAD_USER_INPUT", "input.outcome holds U+E0020 at position 6: a tag character"),
    (LOG, {"in": {"party": {"label": "PERSON", "id": "P1"}, "kind": "CALL",
                  "at": "2026-12-01T10:00:00Z", "outcome": "no\u2060deal"}},
     "BAD_USER_INPUT", "input.outcome holds U+2060 at position 2: an invisible character"),
    (CREATE, referral_input(manager=""), "BAD_USER_INPUT", "input.toManagerId"),
    (CREATE, referral_input(party=("PERSON", "P99")), "NOT_FOUND", "input.party: Person 'P99'"),
    (CREATE, referral_input(manager="M9"), "NOT_FOUND", "input.toManagerId: Manager 'M9'"),
    (UPDATE, {"id": "nope", "status": "CONTACTED", "version": 1}, "NOT_FOUND",
     "id: Referral 'nope'"),
    (UPDATE, {"id": "nope", "status": "CONTACTED", "version": 0}, "BAD_USER_INPUT",
     "expectedVersion"),
    (LOG, {"in": {"party": {"label": "ACCOUNT", "id": "A1"}, "kind": "CALL",
                  "at": "2026-12-01T10:00:00Z"}}, "BAD_USER_INPUT", "input.party"),
    (LOG, {"in": {"party": {"label": "PERSON", "id": "P1"}, "kind": "CALL",
                  "at": "not a time"}}, "BAD_USER_INPUT", "at"),
    (LOG, {"in": {"party": {"label": "PERSON", "id": "P1"}, "kind": "CALL",
                  "at": "9999-12-31T23:59:59Z"}}, "BAD_USER_INPUT", "input.at is 9999-12-31"),
    (LOG, {"in": {"party": {"label": "PERSON", "id": "P1"}, "kind": "CALL",
                  "at": "0001-01-01T00:00:00"}}, "BAD_USER_INPUT", "input.at is 0001-01-01"),
    (LOG, {"in": {"party": {"label": "PERSON", "id": "P1"}, "kind": "CALL",
                  "at": "2026-12-01T10:00:00Z", "note": "bell\x07"}}, "BAD_USER_INPUT",
     "input.note"),
    (LOG, {"in": {"party": {"label": "PERSON", "id": "P1"}, "kind": "CALL",
                  "at": "2026-12-01T10:00:00Z", "outcome": "\udc80"}}, "BAD_USER_INPUT",
     "input.outcome holds the lone surrogate"),
    (LOG, {"in": {"party": {"label": "PERSON", "id": "P1"}, "kind": "WAVE",
                  "at": "2026-12-01T10:00:00Z"}}, "BAD_USER_INPUT", "kind"),
    (ASSIGN, {"m": "M1", "p": {"label": "ACCOUNT", "id": "A1"}}, "BAD_USER_INPUT", "party"),
    (LOG, {"in": {"party": {"label": "PERSON", "id": "P99"}, "kind": "CALL",
                  "at": "2026-12-01T10:00:00Z"}}, "NOT_FOUND", "input.party: Person 'P99'"),
    (ASSIGN, {"m": "M7", "p": {"label": "PERSON", "id": "P1"}}, "NOT_FOUND",
     "managerId: Manager 'M7'"),
    (ASSIGN, {"m": "M1", "p": {"label": "PERSON", "id": "P99"}}, "NOT_FOUND",
     "party: Person 'P99'"),
])
def test_bad_input_is_coded_names_the_argument_and_writes_nothing(
    run: Runner, document: str, variables: dict[str, Any], code: str, argument: str
) -> None:
    before = run.counts()
    data, codes, messages = run(document, variables, caller=ADMIN)
    assert (data, codes) == (None, [code]), messages
    assert argument in messages[0]
    assert run.counts() == before and run.changes == []


JOINED_TEXTS = [
    # Persian "Ali-Reza": ZWNJ between joining letters
    "\u0639\u0644\u06cc\u200c\u0631\u0636\u0627",
    "\u0915\u094d\u200d\u0937",  # Devanagari half form: ZWJ after a virama
    "\u0d28\u0d4d\u200d",  # Malayalam chillu: ZWJ after a virama
    "\U0001f469\u200d\U0001f4bb \U0001f3f3\ufe0f\u200d\U0001f308",  # emoji ZWJ sequences
    "\U0001f468\U0001f3fd\u200d\U0001f680",  # with a skin tone
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland
    "\u2764\ufe0f \u845b\U000e0100",  # one variation selector after a character
    # Hebrew with marks beside digits and brackets
    "\u05e9\u05dc\u05d5\u05dd 050-123\u200e (\u05d1\u05d9\u05ea)\u200f",
]


def test_joiners_emoji_and_variation_selectors_that_shape_text_are_kept(run: Runner) -> None:
    """What names and notes need is kept (UAX #31 contexts, UTS #51 emoji sequences)."""
    for n, text in enumerate(JOINED_TEXTS):
        created = run.data(CREATE, referral_input(key=f"j{n}", note=text, product=text))
        assert created["createReferral"]["note"] == created["createReferral"]["product"] == text
        contact = {"in": {"party": {"label": "PERSON", "id": "P1"}, "kind": "CALL",
                          "at": "2026-12-01T10:00:00Z", "outcome": text, "note": text}}
        assert run.data(LOG, contact, caller=ADMIN)["logContact"]["outcome"] == text


def test_who_may_record_what(run: Runner) -> None:
    contact = {"in": {"party": {"label": "ENTERPRISE", "id": "E1"}, "kind": "VISIT",
                      "at": "2026-12-01T10:00:00Z"}}
    assign = {"m": "M2", "p": {"label": "PERSON", "id": "P1"}}
    before = run.counts()
    for caller in (ANALYST, APP):
        for document, variables in ((CREATE, referral_input()), (LOG, contact),
                                    (ASSIGN, assign), (UNASSIGN, assign)):
            assert run(document, variables, caller=caller)[1] == ["FORBIDDEN"]
    assert run(CREATE, referral_input(), caller=None)[1] == ["FORBIDDEN"]
    assert run(LOG, contact, caller=STAFF)[1] == ["FORBIDDEN"]
    assert run(ASSIGN, assign, caller=MONA)[1] == ["FORBIDDEN"]
    _, codes, messages = run(CREATE, referral_input(manager="M1"), caller=MONA)
    assert codes == ["FORBIDDEN"] and "themselves" in messages[0]
    # A manager refers and logs contacts of their own portfolio only (access.portfolio):
    # P5 and E1 are outside M1's and M2's respectively.
    _, codes, messages = run(CREATE, referral_input(party=("PERSON", "P5")), caller=MONA)
    assert codes == ["FORBIDDEN"] and "not in your portfolio" in messages[0]
    _, codes, messages = run(LOG, contact, caller=REX)
    assert codes == ["FORBIDDEN"] and "not in your portfolio" in messages[0]
    assert run.counts() == before

    rid = run.data(CREATE, referral_input(manager="M2"), caller=MONA)["createReferral"]["id"]
    # Only the manager referred to (or an admin) moves it; staff never.
    for caller in (MONA, STAFF):
        assert run(UPDATE, {"id": rid, "status": "CONTACTED", "version": 1},
                   caller=caller)[1] == ["FORBIDDEN"]
    assert run.data(UPDATE, {"id": rid, "status": "CONTACTED", "version": 1}, caller=ADMIN)
    # Staff read the referrals they created, not another's.
    mine = run.data(CREATE, referral_input(key="mine"))["createReferral"]["id"]
    lookup = "query($id: ID!) { referral(id: $id) { id } }"
    assert run.data(lookup, {"id": mine}) == {"referral": {"id": mine}}
    assert run(lookup, {"id": rid})[1] == ["FORBIDDEN"]
    assert run.data(lookup, {"id": rid}, caller=ANALYST) == {"referral": {"id": rid}}

    logged = run.data(LOG, {"in": {**contact["in"], "outcome": "interested",
                                   "idempotencyKey": "visit-1"}}, caller=MONA)["logContact"]
    assert logged["manager"] == {"id": "M1"} and logged["party"] == {"id": "E1"}
    assert logged["at"] == "2026-12-01T10:00:00+00:00" and logged["loggedBy"] == "mona"
    again = run.data(LOG, {"in": {**contact["in"], "outcome": "interested",
                                  "idempotencyKey": "visit-1"}}, caller=MONA)["logContact"]
    assert again == logged
    # The same instant with another offset is the same contact; times are kept in UTC.
    shifted = {**contact["in"], "at": "2026-12-01T15:30:00+05:30", "outcome": "interested",
               "idempotencyKey": "visit-1"}  # fmt: skip
    assert run.data(LOG, {"in": shifted}, caller=MONA)["logContact"] == logged
    by_admin = run.data(LOG, contact, caller=ADMIN)["logContact"]
    assert by_admin["manager"] is None
    contacts = run.data("""{ enterprise(id: "E1") { contacts { totalCount } }
                            manager(id: "M1") { contacts { edges { node { id kind } } } } }""",
                        caller=ADMIN)
    assert contacts["enterprise"]["contacts"]["totalCount"] == 2
    assert contacts["manager"]["contacts"]["edges"] == [
        {"node": {"id": logged["id"], "kind": "VISIT"}}]


def test_a_referral_puts_its_party_in_the_portfolio_until_declined(run: Runner) -> None:
    # P8 is outside M2's portfolio (M2 manages P7 only) until staff refer P8 to M2; a
    # DECLINED referral takes P8 out again (access.referred_to).
    lookup = """{ person(id: "P8") { masked name accounts { edges { node { masked } } } } }"""
    assert run.data(lookup, caller=REX)["person"]["masked"] is True
    rid = run.data(CREATE, referral_input(party=("PERSON", "P8")))["createReferral"]["id"]
    seen = run.data(lookup, caller=REX)["person"]
    assert seen["masked"] is False and seen["name"] is not None
    assert {e["node"]["masked"] for e in seen["accounts"]["edges"]} == {False}
    contact = {"in": {"party": {"label": "PERSON", "id": "P8"}, "kind": "CALL",
                      "at": "2026-12-02T09:00:00Z"}}
    assert run.data(LOG, contact, caller=REX)["logContact"]["manager"] == {"id": "M2"}
    run.data(UPDATE, {"id": rid, "status": "CONTACTED", "version": 1}, caller=REX)
    assert run.data(lookup, caller=REX)["person"]["masked"] is False
    run.data(UPDATE, {"id": rid, "status": "DECLINED", "version": 2}, caller=REX)
    after = run.data(lookup, caller=REX)["person"]
    assert after["masked"] is True and after["name"] is None
    assert run(LOG, contact, caller=REX)[1] == ["FORBIDDEN"]
    # The referral made to M2 stays M2's to read, whatever its status.
    assert (("Referral", rid) in asyncio.run(portfolio(run.store, "M2"))
            and ("Person", "P8") not in asyncio.run(portfolio(run.store, "M2")))


REFERRAL_READ = """query($id: ID!) {
  referral(id: $id) { masked status product note referredBy
                      party { ... on Person { id masked name } } toManager { id masked } }
}"""
CONTACT_READ = """query($id: ID!) { contact(id: $id) { masked kind outcome note loggedBy } }"""


def test_staff_read_their_referral_but_not_the_graph_through_it(run: Runner) -> None:
    # Staff read back a referral they created, its party and manager as label and id; from
    # there, the graph (the party's accounts and employers, the manager's clients, the
    # linkage answers about the party) is as closed to them as at the root.
    rid = run.data(CREATE, referral_input(party=("ENTERPRISE", "E1")))["createReferral"]["id"]
    own = run.data("""query($id: ID!) { referral(id: $id) { id
        party { ... on Enterprise { id masked name } } toManager { id name } } }""", {"id": rid})
    assert own["referral"]["party"] == {"id": "E1", "masked": True, "name": None}
    assert own["referral"]["toManager"]["id"] == "M2"
    for fields in ("party { ... on Enterprise { employees { edges { node { id } } } } }",
                   "party { ... on Enterprise { accounts { totalCount } } }",
                   "party { ... on Enterprise { payrollCoverage { rate } } }",
                   "party { ... on Enterprise { neighbors { totalCount } } }",
                   "toManager { clients { totalCount } }"):
        data, codes, messages = run(f"query($id: ID!) {{ referral(id: $id) {{ {fields} }} }}",
                                    {"id": rid})
        assert codes == ["FORBIDDEN"], (fields, data)
        assert messages == ["the role staff may not read the graph"]
    # The same reach through the mutation's own answer.
    data, codes, _ = run("""mutation($in: CreateReferralInput!) { createReferral(input: $in) {
        party { ... on Person { accounts { edges { node { id type } } } } } } }""",
                         referral_input(key="k2"))
    assert codes == ["FORBIDDEN"]


def test_referrals_and_contacts_are_masked_outside_the_scope(run: Runner) -> None:
    rid = run.data(CREATE, referral_input(party=("PERSON", "P8"), product="mortgage",
                                          note="wants to buy a flat"))["createReferral"]["id"]
    cid = run.data(LOG, {"in": {"party": {"label": "PERSON", "id": "P8"}, "kind": "MEETING",
                                "at": "2026-12-02T09:00:00Z", "outcome": "will call back",
                                "note": "divorcing"}}, caller=REX)["logContact"]["id"]
    unmasked = {"masked": False, "status": "OPEN", "product": "mortgage",
                "note": "wants to buy a flat", "referredBy": "sam"}
    masked = {**unmasked, "masked": True, "product": None, "note": None}

    def referral(caller: Caller) -> dict[str, Any]:
        found = run.data(REFERRAL_READ, {"id": rid}, caller=caller)["referral"]
        assert found["toManager"] == {"id": "M2", "masked": False}
        return found

    # The manager referred to (P8 is now theirs) and an admin see it whole.
    for caller in (REX, ADMIN):
        found = referral(caller)
        assert {k: found[k] for k in unmasked} == unmasked
        assert found["party"]["masked"] is False
    # Its author, a staff member, reads back what they wrote; the person stays masked.
    found = referral(STAFF)
    assert {k: found[k] for k in unmasked} == unmasked
    assert found["party"] == {"id": "P8", "masked": True, "name": None}
    assert run(REFERRAL_READ, {"id": rid}, caller=OTHER_STAFF)[1] == ["FORBIDDEN"]
    # A manager outside (P8 is not M1's) and an analyst get its status, not its texts.
    for caller in (MONA, ANALYST):
        found = referral(caller)
        assert {k: found[k] for k in masked} == masked
        assert found["party"] == {"id": "P8", "masked": True, "name": None}
    contact = {"masked": False, "kind": "MEETING", "outcome": "will call back",
               "note": "divorcing", "loggedBy": "rex"}
    assert run.data(CONTACT_READ, {"id": cid}, caller=REX)["contact"] == contact
    for caller in (MONA, ANALYST):
        assert run.data(CONTACT_READ, {"id": cid}, caller=caller)["contact"] == {
            **contact, "masked": True, "outcome": None, "note": None}
    assert run(CONTACT_READ, {"id": cid}, caller=STAFF)[1] == ["FORBIDDEN"]
    # Through a network too: the masked records keep no personal property.
    network = run.data("""{ clientNetwork(node: {label: PERSON, id: "P8"}, depth: 1) {
                              nodes { label id masked properties } } }""", caller=MONA)
    records = {n["label"]: n for n in network["clientNetwork"]["nodes"]
               if n["label"] in ("REFERRAL", "CONTACT")}
    assert records["REFERRAL"]["masked"] and records["CONTACT"]["masked"]
    assert "note" not in records["REFERRAL"]["properties"]
    assert records["REFERRAL"]["properties"]["status"] == "OPEN"
    assert {"note", "outcome"}.isdisjoint(records["CONTACT"]["properties"])


def test_assigning_and_unassigning_a_client(run: Runner) -> None:
    assign = {"m": "M2", "p": {"label": "PERSON", "id": "P1"}}
    clients = """{ manager(id: "M2") { clients { edges { node { ... on Person { id } } } } } }"""
    first = run.data(ASSIGN, assign, caller=ADMIN)["assignClient"]
    assert first == {"assigned": True, "changed": True, "manager": {"id": "M2"},
                     "party": {"id": "P1"}}
    assert run.changes == [{"command": "assignClient",
                            "target": {"type": "MANAGES", "start": ["Manager", "M2"],
                                       "end": ["Person", "P1"]},
                            "before": None, "after": {}}]
    assert run.data(ASSIGN, assign, caller=ADMIN)["assignClient"]["changed"] is False
    edges = run.data(clients, caller=ADMIN)["manager"]["clients"]["edges"]
    assert [e["node"]["id"] for e in edges] == ["P1", "P7"]
    gone = run.data(UNASSIGN, assign, caller=ADMIN)["unassignClient"]
    assert (gone["assigned"], gone["changed"]) == (False, True)
    assert run.changes[0]["before"] == {} and run.changes[0]["after"] is None
    assert run.data(UNASSIGN, assign, caller=ADMIN)["unassignClient"]["changed"] is False
    edges = run.data(clients, caller=ADMIN)["manager"]["clients"]["edges"]
    assert [e["node"]["id"] for e in edges] == ["P7"]


HISTORY = """{
  conversion: referralConversion(groupBy: MANAGER) { key referred contacted converted rate }
  branches: referralConversion(groupBy: BRANCH) { key referred contacted converted rate }
  referral(id: "R1") { id status version product referredBy createdAt
                       party { ... on Person { id } ... on Enterprise { id } } toManager { id } }
  contact(id: "C1") { id kind at outcome manager { id } }
  manager(id: "M1") { referralsReceived(first: 5) { totalCount edges { node { id status } } }
                      contacts(first: 5) { totalCount edges { node { id kind } } } }
}"""


def test_loaded_history_answers_the_same_on_every_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    generate(3000, 7, tmp_path / "bank")
    batch = read_canonical(tmp_path / "bank")
    answers = []
    for backend in ("embedded", "falkordb"):
        settings = backend_settings(request, backend, tmp_path)
        store = store_for(settings)
        try:
            report = asyncio.run(store.write(batch))
            assert report.total_rejected == 0
            answers.append(Runner(store, settings).data(HISTORY, caller=ANALYST))
        finally:
            close(store)
    embedded, falkordb = answers
    assert embedded == falkordb
    assert sum(g["referred"] for g in embedded["conversion"]) == 30
    assert embedded["referral"]["toManager"] is not None


# -- over HTTP: the audit trail, concurrent mutations ------------------------------------


def token(data_dir: Path, caller: Caller) -> str:
    return LocalIssuer(data_dir).issue(caller.subject, caller.role, caller.manager_id)


def post(client: Client, data_dir: Path, caller: Caller, document: str,
         variables: dict[str, Any]) -> dict[str, Any]:
    response = client.http.post("/graphql", json={"query": document, "variables": variables},
                                headers={"Authorization": f"Bearer {token(data_dir, caller)}"})
    assert response.status_code == 200, response.text
    return response.json()


def send_alone(client: Client, bearer: str, document: str,
               variables: dict[str, Any]) -> dict[str, Any]:
    """Post ``document`` on a connection of its own (threads sending at once each use one)."""
    with httpx.Client(base_url=str(client.http.base_url), timeout=30) as http:
        response = http.post("/graphql", json={"query": document, "variables": variables},
                             headers={"Authorization": f"Bearer {bearer}"})
    return response.json()


def test_mutations_are_audited_with_before_and_after(tmp_path: Path) -> None:
    data_dir = write_small_bank(tmp_path / "bank")
    with running(data_dir) as client:
        created = post(client, data_dir, STAFF, CREATE, referral_input(note="private"))
        rid = created["data"]["createReferral"]["id"]
        post(client, data_dir, REX, UPDATE, {"id": rid, "status": "CONTACTED", "version": 1})
        refused = post(client, data_dir, REX, UPDATE,
                       {"id": rid, "status": "CONTACTED", "version": 1})
        assert refused["errors"][0]["extensions"]["code"] == "CONFLICT"
        post(client, data_dir, STAFF, "{ person(id: \"P1\") { id } }", {})
    lines = (data_dir / "audit" / "audit.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    create, update, conflict, query = records[-4:]
    assert create["operation_type"] == "mutation" and create["subject"] == "sam"
    [change] = create["changes"]
    assert change["command"] == "createReferral" and change["before"] is None
    assert change["target"] == {"label": "Referral", "id": rid}
    assert change["after"]["status"] == "OPEN" and change["after"]["party"] == ["Person", "P1"]
    [change] = update["changes"]
    assert (change["before"]["status"], change["after"]["status"]) == ("OPEN", "CONTACTED")
    assert (change["before"]["version"], change["after"]["version"]) == (1, 2)
    assert conflict["changes"] == [] and conflict["error_codes"] == ["CONFLICT"]
    assert "changes" not in query


def test_concurrent_mutations_keep_the_counts(tmp_path: Path) -> None:
    data_dir = write_small_bank(tmp_path / "bank")
    with running(data_dir) as client:
        tokens = {c.subject: token(data_dir, c) for c in (STAFF, REX)}

        def send(caller: Caller, document: str, variables: dict[str, Any]) -> dict[str, Any]:
            return send_alone(client, tokens[caller.subject], document, variables)

        # 20 keys, each sent 3 times, all at once: 20 referrals.
        jobs = [referral_input(key=f"key-{i % 20}", party=("PERSON", f"P{1 + i % 20 % 8}"))
                for i in range(60)]
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda v: send(STAFF, CREATE, v), jobs))
        assert all("errors" not in a for a in answers), [a for a in answers if "errors" in a]
        ids = {a["data"]["createReferral"]["id"] for a in answers}
        assert len(ids) == 20
        rid = sorted(ids)[0]
        # 10 managers' clicks on the same version: one wins, nine answer CONFLICT.
        move = {"id": rid, "status": "CONTACTED", "version": 1}
        with ThreadPoolExecutor(10) as pool:
            moves = list(pool.map(lambda _: send(REX, UPDATE, move), range(10)))
        codes = sorted(a["errors"][0]["extensions"]["code"] if "errors" in a else "ok"
                       for a in moves)
        assert codes == ["CONFLICT"] * 9 + ["ok"]
        state = client.data('query($id: ID!) { referral(id: $id) { version status } '
                            'm: manager(id: "M2") { referralsReceived { totalCount } } }',
                            {"id": rid})
        assert state["referral"] == {"version": 2, "status": "CONTACTED"}
        assert state["m"]["referralsReceived"]["totalCount"] == 20
        health = client.http.get("/health").json()
    assert health["counts"]["Referral"] == 20 and health["counts"]["REFERS"] == 20


def test_concurrent_mutations_are_group_committed_each_answered_and_audited(
    tmp_path: Path,
) -> None:
    data_dir = write_small_bank(tmp_path / "bank")
    store = EmbeddedStore(data_dir, create=False)
    # 30 keys, 10 of them sent twice, and 4 referrals to a manager who does not exist.
    jobs = [referral_input(key=f"key-{i % 30}", party=("PERSON", f"P{1 + i % 30 % 8}"))
            for i in range(40)]
    jobs += [referral_input(key=f"lost-{i}", manager="M404") for i in range(4)]
    with running(data_dir, store) as client:
        tokens = {c.subject: token(data_dir, c) for c in (STAFF, MONA)}

        def send(caller: Caller, document: str, variables: dict[str, Any]) -> dict[str, Any]:
            return send_alone(client, tokens[caller.subject], document, variables)

        contact = {"in": {"party": {"label": "PERSON", "id": "P1"}, "kind": "CALL",
                          "at": "2026-12-01T10:00:00Z", "idempotencyKey": "call-1"}}
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda v: send(STAFF, CREATE, v), jobs))
            contacts = list(pool.map(lambda _: send(MONA, LOG, contact), range(4)))
        state = client.data('{ m: manager(id: "M2") { referralsReceived { totalCount } } }')
    close(store)
    for job, answer in zip(jobs, answers, strict=True):
        key = job["in"]["idempotencyKey"]
        if key.startswith("lost-"):
            assert [e["extensions"]["code"] for e in answer["errors"]] == ["NOT_FOUND"]
            continue
        assert "errors" not in answer, answer
        referral = answer["data"]["createReferral"]
        assert referral["id"] == commands.referral_id(STAFF, key)
        assert (referral["status"], referral["version"], referral["toManager"]) == (
            "OPEN", 1, {"id": "M2"})
        assert referral["party"] == {"id": job["in"]["party"]["id"]}
    assert len({a["data"]["logContact"]["id"] for a in contacts}) == 1
    assert state["m"]["referralsReceived"]["totalCount"] == 30
    # 31 writes (30 referrals, 1 contact) in fewer transactions: grouped.
    assert store.commit_counts.writes == 31
    assert store.commit_counts.commits < 31
    records = [r for r in read_records(data_dir / "audit") if r["operation_type"] == "mutation"]
    assert len(records) == len(jobs) + 4
    changes = [c for r in records for c in r["changes"]]
    assert sorted(c["target"]["id"] for c in changes if c["command"] == "createReferral") == (
        sorted(commands.referral_id(STAFF, f"key-{i}") for i in range(30)))
    assert [c["command"] for c in changes].count("logContact") == 1
    assert sum(r["error_codes"] == ["NOT_FOUND"] for r in records) == 4


def test_a_bulk_run_of_mutations_audits_each_line_with_its_own_changes(
    small_bank: GraphStore, tmp_path: Path
) -> None:
    trail = AuditTrail(tmp_path / "audit", 1 << 30)
    lines = [referral_input(key=f"bulk-{i}", party=("PERSON", f"P{i}")) for i in range(1, 6)]
    try:
        answers = asyncio.run(execute_many(small_bank, Settings(data_dir=tmp_path), CREATE,
                                           lines, caller=ADMIN, audit=trail))
    finally:
        trail.close()
    assert all(not errors for _, errors in answers)
    records = list(read_records(tmp_path / "audit"))
    assert len(records) == 5
    targets = sorted(change["after"]["party"][1] for r in records for change in r["changes"])
    assert targets == ["P1", "P2", "P3", "P4", "P5"]
    assert all(len(r["changes"]) == 1 for r in records)
