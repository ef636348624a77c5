"""Reachability consistency: whatever a viewer reaches from a query or subscription root, along any path of
the schema, is an object that `node(id)` also gives that viewer, and what `node(id)` hides from it is on no
path. Below the id, an object reached on a path shows there, through its fields, no more than `node(id)` of
that same object shows through the same fields: a public object (a producer) listed under a visible one (as a
competitor's invitation) passes the id checks, and only this comparison sees it.

The paths come from the served schema (introspection), not from a list kept here: every field that can lead
to a Node type is followed, through connections and lists, and the `id` of every Node type met on the way is
selected. A field added to the schema later is walked without editing this file.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, cast

import pytest
from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    IntrospectionQuery,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_list_type,
    is_required_argument,
    parse,
)

from api.auth import principal_of
from api.settings import Settings
from market.accounts.policy import Principal
from market.accounts.records import MemberRole, Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.documents import upload_document
from market.catalog.lots import record_lot
from market.core.paging import MAX_PAGE
from market.notifications.fanout import fan_out_pending
from market.notifications.rfq_follows import follow_rfq_board
from market.notifications.saved_searches import save_search
from market.storage.changes import encode_cursor
from market.trade.deals import advance_deal, sign_mou
from market.trade.events import create_trade_event
from market.trade.inquiries import Match, submit_inquiry
from market.trade.pipeline import DealState
from market.trade.quotations import accept_quotation, submit_quotation
from market.trade.records import Criteria
from market.trade.samples import accept_sample_request, convert_to_inquiry, request_samples
from schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, build_schema
from schema.context import Context
from schema.loaders import Loaders
from search.service import ProductSearch
from search.settings import PRODUCTS
from tests.conftest import REACH_PREFIX, Catalogue, CommandCounter, gid, own_catalogue

ROLES = (
    "admin", "office", "other_office", "maker", "rival", "bystander", "outsider", "buyer", "limited_buyer",
    "other_buyer", "anonymous",
)  # fmt: skip

# What a field is given when it asks for text: the empty query (browse) and a real one.
SEARCH_TEXTS = ("", "kẹo dừa")
# The oracle itself: walking it would only ask `node(id)` whether `node(id)` agrees.
ORACLE_ROOTS = frozenset({"node", "nodes"})
# Errors that only mean "not for you": the field yields nothing, which is consistent by construction. Any
# other error fails the walk, as it could hide a path (see `refusal`).
REFUSALS = frozenset({"FORBIDDEN", "UNAUTHENTICATED"})
# A subscription replays what happened since its `after` cursor and then waits for news: once this long passes
# without an event, the replay is taken as complete.
QUIET_SECONDS = 1.0


def type_of(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[0]


# --- the world ---------------------------------------------------------------------------------------------


@dataclass
class World:
    keys: dict[str, str | None]  # role -> its handle in `catalogue.api.keys`; None: no key at all
    principals: dict[str, Principal | None]
    objects: dict[str, str]  # label -> global id
    since: str  # a subscription cursor from just before the world was written

    def ids_by_type(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for global_id in self.objects.values():
            found.setdefault(type_of(global_id), []).append(global_id)
        return found

    def readable(self, text: str) -> str:
        """`text` with the world's ids named, and the subscription cursor shortened."""
        for label, global_id in self.objects.items():
            text = text.replace(f'"{global_id}"', label)
        return text.replace(f'"{self.since}"', "<before the world>")


# Which of the world's trade objects `node(id)` gives each role: pins the world, so that every check below has
# something hidden to look for. Catalogue objects (products, producers, buyers) are public.
TRADE = ("rfq", "direct:maker", "direct:outsider", "quote:rfq:maker", "quote:rfq:outsider", "quote:direct:maker",
         "quote:direct:outsider", "deal:maker", "deal:outsider", "event", "sample:maker", "sample:outsider",
         "inquiry:sample", "doc:maker", "doc:product:maker", "lot:maker", "approval", "search:buyer",
         "follow:maker")  # fmt: skip
# A person's own saved searches and RFQ board follows: nobody else's, not their colleagues', offices' or admins'.
PERSONAL = {"search:buyer", "follow:maker"}
# A producer's papers are for its side and for signed-in buyers; its lots for its side only.
PAPERS = {"doc:maker", "doc:product:maker"}
MAKER_SIDE = {"rfq", "direct:maker", "quote:rfq:maker", "quote:direct:maker", "deal:maker", "event", "sample:maker",
              "inquiry:sample", "lot:maker"} | PAPERS  # fmt: skip
OUTSIDER_SIDE = {"rfq", "direct:outsider", "quote:rfq:outsider", "quote:direct:outsider", "deal:outsider", "event",
                 "sample:outsider"}  # fmt: skip
SEES: dict[str, set[str]] = {
    "admin": set(TRADE) - PERSONAL,
    "buyer": set(TRADE) - {"lot:maker", "follow:maker"},  # an owner of its organisation: approvals too
    "limited_buyer": set(TRADE) - {"lot:maker"} - PERSONAL,  # a member: its organisation's trade, its own approval
    "maker": MAKER_SIDE | {"follow:maker"},
    "office": MAKER_SIDE,  # Vĩnh Long: the candy makers' province
    "outsider": OUTSIDER_SIDE,
    "other_office": OUTSIDER_SIDE,  # Hà Nội: the outsider's province
    "rival": {"rfq", "event"},  # invited, never quoted: no competitor's quotation or deal
    "bystander": {"rfq", "event"},  # same group and province, not invited: the open RFQ is advertised to it
    "other_buyer": {"event"} | PAPERS,
    "anonymous": {"event"},
}
# What `node(id)` of a world object shows each role through fields that the rule narrows below the object's own
# audience (absent role: nothing). The suffix check takes `node(id)` as its reference, so a policy that
# widened a relation for `node(id)` and paths alike would leave them consistent: this table pins the reference.
INVITED = {"producer:maker", "producer:rival", "producer:outsider"}
QUOTED = {"quote:rfq:maker", "quote:rfq:outsider"}
SHOWS: dict[tuple[str, str], dict[str, set[str]]] = {
    # A producer, invited or not, reads its own invitation and quotation only.
    ("rfq", "invitations.producer"): {
        "admin": INVITED, "buyer": INVITED, "limited_buyer": INVITED, "office": INVITED, "other_office": INVITED,
        "maker": {"producer:maker"}, "rival": {"producer:rival"}, "outsider": {"producer:outsider"},
    },
    ("rfq", "quotations"): {
        "admin": QUOTED, "buyer": QUOTED, "limited_buyer": QUOTED, "maker": {"quote:rfq:maker"},
        "office": {"quote:rfq:maker"},
        "outsider": {"quote:rfq:outsider"}, "other_office": {"quote:rfq:outsider"},
    },
    # The report is for admins and the office of the event's province, which sees its own producers' deals.
    ("event", "report.deals"): {"admin": {"deal:maker", "deal:outsider"}, "office": {"deal:maker"}},
}  # fmt: skip


@pytest.fixture(scope="module")
async def catalogue(settings: Settings, counter: CommandCounter, scoped_keys: None) -> AsyncIterator[Catalogue]:
    """A catalogue of the walk's own: what other tests add to the shared one (lots, documents, variants on
    its products) would multiply the paths walked without adding a kind of path."""
    async with own_catalogue(settings, counter, REACH_PREFIX.rstrip("_")) as own:
        yield own


@pytest.fixture(scope="module")
async def world(catalogue: Catalogue) -> World:
    """The buyer's open RFQ for coconut candy invites the maker and the rival (Vĩnh Long) and the outsider (Hà
    Nội); the maker and the outsider quoted, the rival did not, and the RFQ stays open on the board. Direct
    inquiries to the maker and to the outsider were quoted and accepted; both deals got an MoU signed at a
    Vĩnh Long trade event, and the maker's deal was agreed."""
    store = catalogue.fixture.store
    # Subscriptions replay from this point, so what they send covers the whole world as it was written.
    async with await store.db.watch() as changes:
        token = changes.resume_token
    assert token is not None
    makers = await store.db["products"].distinct(
        "producerId", {"provinceCode": "86", "status": "published", "name": {"$regex": "^Kẹo dừa"}}
    )
    hanoi = await store.db["products"].find_one({"provinceCode": "01", "status": "published"})
    assert len(makers) >= 3 and hanoi is not None
    producers = {"maker": makers[0], "rival": makers[1], "bystander": makers[2], "outsider": hanoi["producerId"]}
    keys: dict[str, str | None] = {"anonymous": None}
    principals: dict[str, Principal | None] = {"anonymous": None}
    objects: dict[str, str] = {}

    async def member(role_name: str, role: Role, **kwargs: Any) -> Principal:
        account = await create_account(store, name=f"reach {role_name}", role=role, **kwargs)
        keys[role_name] = handle = f"reach-{role_name}-{secrets.token_hex(3)}"
        catalogue.api.keys[handle] = await issue_api_key(store, account.id, role_name)
        principals[role_name] = principal = principal_of(account)
        return principal

    for name in ("buyer", "other_buyer"):
        org = await store.buyers.insert({"name": f"{name} {secrets.token_hex(3)}", "kind": "distributor"})
        await member(name, Role.BUYER, org_id=str(org.id))
        objects[f"org:{name}"] = gid("BuyerOrganisation", org.id)
    producer_members: dict[str, Principal] = {}
    for name, producer_id in producers.items():
        producer_members[name] = await member(name, Role.PRODUCER, org_id=str(producer_id))
        objects[f"producer:{name}"] = gid("Producer", producer_id)
    await member("office", Role.COORDINATOR, province="86")
    await member("other_office", Role.COORDINATOR, province="01")
    admin = await member("admin", Role.ADMIN)
    buyer = principals["buyer"]
    assert buyer is not None

    async def invited(criteria: Criteria, limit: int) -> list[Match]:
        return [Match(producers[name], [], "reachability") for name in ("maker", "rival", "outsider")]

    rfq = await submit_inquiry(
        store, buyer, {"criteria": {"query": "kẹo dừa"}, "quantity": 300, "unit": "hộp"}, invited
    )
    objects["rfq"] = gid("Inquiry", rfq.id)
    for name, price in (("maker", 45000), ("outsider", 52000)):
        quote = await submit_quotation(
            store, producer_members[name], str(rfq.id), {"unitPriceVnd": price, "leadTimeDays": 7}
        )
        objects[f"quote:rfq:{name}"] = gid("Quotation", quote.id)

    event = await create_trade_event(
        store, admin,
        {"name": "Hội chợ OCOP Vĩnh Long", "organiser": "Sở NN&MT", "province": "86",
         "startsOn": date.today() - timedelta(days=1), "endsOn": date.today() + timedelta(days=1),
         "booths": [{"number": "A1", "producerId": str(producers["maker"])}], "buyerOrgIds": [str(buyer.org_id)]},
    )  # fmt: skip
    objects["event"] = gid("TradeEvent", event.id)
    for name in ("maker", "outsider"):
        product = await store.db["products"].find_one({"producerId": producers[name], "status": "published"})
        assert product is not None
        objects[f"product:{name}"] = gid("Product", product["_id"])
        direct = await submit_inquiry(
            store, buyer, {"productId": str(product["_id"]), "quantity": 40, "unit": "hộp"}, _no_matchmaking
        )
        quote = await submit_quotation(
            store, producer_members[name], str(direct.id), {"unitPriceVnd": 150000, "leadTimeDays": 3}
        )
        deal = await accept_quotation(store, buyer, str(quote.id), 1)
        if name == "maker":
            deal = await advance_deal(store, producer_members[name], str(deal.id), DealState.AGREED, deal.version)
        await sign_mou(store, buyer, str(deal.id), {"termsSummary": "giao hàng mỗi quý", "eventId": str(event.id)})
        objects[f"direct:{name}"] = gid("Inquiry", direct.id)
        objects[f"quote:direct:{name}"] = gid("Quotation", quote.id)
        objects[f"deal:{name}"] = gid("Deal", deal.id)
    # A colleague of the buyer with a spending limit accepted a quotation above it: a pending purchase approval.
    limited = await member("limited_buyer", Role.BUYER, org_id=str(buyer.org_id), org_role=MemberRole.MEMBER)
    limited_account = await store.accounts.update(limited.account_id, {"spendingLimitVnd": 1_000})
    assert limited_account is not None
    principals["limited_buyer"] = limited = principal_of(limited_account)
    maker_product_id = str(node_id_of(objects["product:maker"]))
    big = await submit_inquiry(
        store, limited, {"productId": maker_product_id, "quantity": 10, "unit": "hộp"}, _no_matchmaking
    )
    big_quote = await submit_quotation(
        store, producer_members["maker"], str(big.id), {"unitPriceVnd": 90000, "leadTimeDays": 3}
    )
    approval = await accept_quotation(store, limited, str(big_quote.id), 1)
    objects["approval"] = gid("PurchaseApproval", approval.id)
    # Samples of both producers' products; the maker shipped its own and the buyer turned them into an inquiry.
    for name in ("maker", "outsider"):
        product_id = str(node_id_of(objects[f"product:{name}"]))
        sample = await request_samples(
            store, buyer, {"productId": product_id, "quantity": 4, "deliveryAddress": "Kho Co.op, TP HCM"}
        )
        objects[f"sample:{name}"] = gid("SampleRequest", sample.id)
        if name == "maker":
            await accept_sample_request(store, producer_members[name], str(sample.id), {"carrier": "GHN"})
            inquiry = await convert_to_inquiry(store, buyer, str(sample.id), {"quantity": 200, "unit": "hộp"})
            objects["inquiry:sample"] = gid("Inquiry", inquiry.id)
    maker = producer_members["maker"]
    own_paper = await upload_document(
        store, maker, {"producerId": str(producers["maker"]), "type": "food_safety"}, PDF, file_name="attp.pdf",
        content_type="application/pdf",
    )  # fmt: skip
    objects["doc:maker"] = gid("Document", own_paper.id)
    maker_product = str(node_id_of(objects["product:maker"]))
    product_paper = await upload_document(
        store, maker, {"productId": maker_product, "type": "lab_test"}, PDF, file_name="kiem-nghiem.pdf",
        content_type="application/pdf",
    )  # fmt: skip
    objects["doc:product:maker"] = gid("Document", product_paper.id)
    lot = await record_lot(
        store, maker, {"productId": maker_product, "lotNumber": "R-1", "producedOn": date(2025, 6, 1)}
    )
    objects["lot:maker"] = gid("Lot", lot.id)
    # The buyer keeps a saved search, the maker follows food RFQs on the board: theirs alone.
    saved = await save_search(store, buyer, {"name": "Kẹo dừa", "query": "kẹo dừa", "alert": "instant"}, _none_yet)
    objects["search:buyer"] = gid("SavedSearch", saved.id)
    follow = await follow_rfq_board(store, producer_members["maker"], {"groups": ["food"]})
    objects["follow:maker"] = gid("RfqBoardFollow", follow.id)
    # Every event above becomes the notifications of those it concerns, as the worker would write them.
    while (await fan_out_pending(store)).events:
        pass
    await catalogue.sync_board()
    return World(keys=keys, principals=principals, objects=objects, since=encode_cursor(token))


PDF = b"%PDF-1.4\n%%EOF\n"


def node_id_of(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def _none_yet(query: str, flt: Any, limit: int) -> list[Any]:
    return []


async def _no_matchmaking(criteria: Criteria, limit: int) -> list[Match]:
    raise AssertionError("direct inquiries need no matchmaking")


# --- paths generated from the schema ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sel:
    """One selection of a generated document: a field (with its arguments), an inline fragment, or the `id`
    of a Node type, which is what the walk collects."""

    name: str
    args: str = ""
    children: tuple[Sel, ...] = ()
    alias: str = ""
    on: str = ""  # the type condition of an inline fragment
    collects: bool = False

    @property
    def key(self) -> str:
        return self.alias or self.name

    @property
    def label(self) -> str:
        return f"(on {self.on})" if self.on else f"{self.name}{self.args}"

    def render(self) -> str:
        head = f"... on {self.on}" if self.on else f"{self.alias + ': ' if self.alias else ''}{self.name}{self.args}"
        return f"{head} {{ {' '.join(c.render() for c in self.children)} }}" if self.children else head

    def aliases(self) -> int:
        return bool(self.alias) + sum(c.aliases() for c in self.children)


@dataclass
class Walker:
    """Every path from a root to a Node type, within the server's depth limit, never following the same field
    of the same type twice on one path (which is what a cycle would do)."""

    schema: GraphQLSchema
    ids: Mapping[str, list[str]]  # type name -> the world's global ids, for `id`-like arguments
    since: str  # the cursor subscriptions replay from
    unfilled: set[str] = field(default_factory=set)  # fields that lead to a Node type the walk cannot fill

    def __post_init__(self) -> None:
        node = self.schema.get_type("Node")
        assert isinstance(node, GraphQLInterfaceType)
        self.node_types = frozenset(t.name for t in self.schema.get_possible_types(node))
        self.leads = self._leading_to_nodes()
        self.subscription = self.schema.subscription_type.name if self.schema.subscription_type else None

    def _leading_to_nodes(self) -> frozenset[str]:
        leads = set(self.node_types)
        grew = True
        while grew:
            grew = False
            for named in self.schema.type_map.values():
                if named.name in leads or named.name.startswith("__"):
                    continue
                if is_abstract_type(named):
                    found = any(t.name in leads for t in self.schema.get_possible_types(cast(Any, named)))
                elif isinstance(named, GraphQLObjectType):
                    found = any(get_named_type(f.type).name in leads for f in named.fields.values())
                else:
                    continue
                if found:
                    leads.add(named.name)
                    grew = True
        return frozenset(leads)

    def arguments(self, owner: str, name: str, gql_field: GraphQLField, returns: str) -> list[str]:
        """Every way the walk fills the field's arguments; none when a required one cannot be filled."""
        choices: list[list[str]] = []
        for arg_name, arg in gql_field.args.items():
            named = get_named_type(arg.type)
            required = is_required_argument(arg)
            if arg_name == "first" and named.name == "Int":
                options = [f"first: {MAX_PAGE}"]
            elif arg_name == "after" and named.name == "String" and owner == self.subscription:
                options = [f'after: "{self.since}"']
            elif named.name == "ID" and required and not is_list_type(get_nullable_type(arg.type)):
                # `id` names an object of the field's own type, `dealId` a Deal, and so on.
                stem = arg_name.removesuffix("Id")
                target = returns if arg_name == "id" else stem[:1].upper() + stem[1:]
                options = [f'{arg_name}: "{i}"' for i in self.ids.get(target, [])]
            elif named.name == "Boolean":  # a flag widens or narrows what comes back: both ways
                options = [f"{arg_name}: false", f"{arg_name}: true"]
            elif named.name == "String" and (required or arg_name == "query"):
                options = [f"{arg_name}: {json.dumps(text, ensure_ascii=False)}" for text in SEARCH_TEXTS]
            elif required:
                options = []
            else:
                options = [""]
            if not options:
                self.unfilled.add(f"{owner}.{name}({arg_name})")
                return []
            choices.append(options)
        filled = [[part for part in combination if part] for combination in itertools.product(*choices)]
        return [f"({', '.join(parts)})" if parts else "" for parts in filled]

    def leading_roots(self, root: GraphQLObjectType | None) -> set[str]:
        fields = root.fields.items() if root else ()
        return {n for n, f in fields if n not in ORACLE_ROOTS and get_named_type(f.type).name in self.leads}

    def roots(self, root: GraphQLObjectType) -> Iterator[Sel]:
        for name, gql_field in root.fields.items():
            target = get_named_type(gql_field.type)
            if name in ORACLE_ROOTS or target.name not in self.leads:
                continue
            for args in self.arguments(root.name, name, gql_field, target.name):
                if children := self.selections(target, 2, frozenset()):
                    yield Sel(name, args, children)

    def selections(self, named: GraphQLNamedType, depth: int, followed: frozenset[tuple[str, str]]) -> tuple[Sel, ...]:
        """What to select on `named` at nesting level `depth` (a root field is at 1)."""
        if is_abstract_type(named):
            fragments = [
                Sel("", on=t.name, children=inner)
                for t in self.schema.get_possible_types(cast(Any, named))
                if t.name in self.leads and (inner := self.selections(t, depth, followed))
            ]
            return (Sel("__typename"), *fragments) if fragments else ()
        assert isinstance(named, GraphQLObjectType)
        out = [Sel("id", collects=True)] if named.name in self.node_types else []
        if depth >= MAX_DEPTH:  # a nested object needs one more level for its own `id`
            return tuple(out)
        for name, gql_field in named.fields.items():
            target = get_named_type(gql_field.type)
            step = (named.name, name)
            if target.name not in self.leads or step in followed:
                continue
            for n, args in enumerate(self.arguments(named.name, name, gql_field, target.name)):
                if inner := self.selections(target, depth + 1, followed | {step}):
                    out.append(Sel(name, args, inner, alias=f"{name}_{n}" if n else ""))
        return tuple(out)


# The field steps from a Node object down to a Node object it leads to, with no Node object between them;
# arguments kept, aliases dropped. With the object's id, a hop: what the suffix check compares.
Suffix = tuple[Sel, ...]
Hop = tuple[str, Suffix]
COLLECT_ID = Sel("id", collects=True)


def suffix_of(dotted: str) -> Suffix:
    """A suffix of fields without arguments, as `SHOWS` names it."""
    return tuple(Sel(name) for name in dotted.split("."))


def dotted(suffix: Suffix) -> str:
    return ".".join(step.label for step in suffix)


def nest(steps: Suffix, leaf: tuple[Sel, ...]) -> tuple[Sel, ...]:
    """The selections that follow `steps` down to `leaf`; a type condition is told by `__typename`."""
    inner = leaf
    for step in reversed(steps):
        inner = ((Sel("__typename"),) if step.on else ()) + (replace(step, children=inner),)
    return inner


def fits(document: str) -> bool:
    try:
        parse(document, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False
    return True


def split(sel: Sel, wrap: Callable[[Sel], str]) -> list[Sel]:
    """`sel` as one or more selections whose documents (`wrap` places a selection in its document) each stay
    within the server's token and alias limits; together they select everything `sel` does."""
    document = wrap(sel)
    if fits(document) and sel.aliases() <= MAX_ALIASES:
        return [sel]
    leaves = tuple(c for c in sel.children if not c.children)
    branches = [c for c in sel.children if c.children]
    assert branches, f"a single field is over the server's limits: {document[:300]}"
    parts: list[Sel] = []
    for branch in branches:
        parts += split(branch, lambda piece: wrap(replace(sel, children=(*leaves, piece))))
    packed: list[list[Sel]] = []
    for part in parts:
        candidate = replace(sel, children=(*leaves, *(packed[-1] if packed else []), part))
        if packed and fits(wrap(candidate)) and candidate.aliases() <= MAX_ALIASES:
            packed[-1].append(part)
        else:
            packed.append([part])
    return [replace(sel, children=(*leaves, *group)) for group in packed]


@dataclass(frozen=True)
class Probe:
    """One generated operation: a root field, or a part of its tree when the whole is over the server's
    limits."""

    root: Sel
    document: str
    subscription: bool


def probes_for(walker: Walker, root: GraphQLObjectType | None, operation: str) -> list[Probe]:
    if root is None:
        return []

    def document(sel: Sel) -> str:
        return f"{operation} {{ {sel.render()} }}"

    return [
        Probe(piece, document(piece), operation == "subscription")
        for sel in walker.roots(root)
        for piece in split(sel, document)
    ]


@dataclass
class Collected:
    paths: dict[str, set[str]] = field(default_factory=dict)  # global id -> every path it was reached on
    # (nearest enclosing Node object, suffix) -> the Node objects reached through it -> their paths
    leads: dict[Hop, dict[str, set[str]]] = field(default_factory=dict)


def beyond(anchor: Hop | None, sel: Sel) -> Hop | None:
    return None if anchor is None else (anchor[0], (*anchor[1], replace(sel, children=(), alias="")))


def collect(value: Any, selections: tuple[Sel, ...], path: str, into: Collected, anchor: Hop | None = None) -> None:
    """Every Node object in `value`, with its path and, below the nearest enclosing Node object (`anchor`),
    its suffix."""
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            collect(item, selections, path, into, anchor)
        return
    if any(sel.collects for sel in selections):
        node_id = value["id"]
        into.paths.setdefault(node_id, set()).add(path)
        if anchor is not None:
            into.leads.setdefault(anchor, {}).setdefault(node_id, set()).add(path)
        anchor = (node_id, ())
    for sel in selections:
        if sel.on:
            if value.get("__typename") == sel.on:
                collect(value, sel.children, f"{path}{sel.label}", into, beyond(anchor, sel))
        elif sel.children:
            label = f"{path}.{sel.label}" if path else sel.label
            collect(value.get(sel.key), sel.children, label, into, beyond(anchor, sel))


# --- the walk, for every role ---------------------------------------------------------------------------------


@dataclass
class Reach:
    paths: dict[str, set[str]]  # global id -> every path it was reached on
    given: set[str]  # the ids (reached, or of the world) that `node(id)` gives this viewer
    leads: dict[Hop, dict[str, set[str]]]  # what paths reach below each Node object, by suffix
    shown: dict[Hop, set[str]]  # what `node(id)` of that object shows through that suffix


def pages_of(ids: Iterable[str]) -> list[list[str]]:
    ordered = sorted(ids)
    return [ordered[i : i + MAX_PAGE] for i in range(0, len(ordered), MAX_PAGE)]


async def node_gives(catalogue: Catalogue, world: World, role: str, ids: set[str]) -> set[str]:
    """The ids `node(id)` gives this viewer. Asked as `nodes(ids:)`, which resolves each id exactly as
    `node(id:)` does (schema.pagination.resolve_node), a page of ids per alias."""
    pages = pages_of(ids)
    given: set[str] = set()
    for start in range(0, len(pages), MAX_ALIASES):
        batch = pages[start : start + MAX_ALIASES]
        document = "{ " + " ".join(f"p{n}: nodes(ids: {json.dumps(p)}) {{ id }}" for n, p in enumerate(batch)) + " }"
        data = await catalogue.api.data(document, as_=world.keys[role])
        given |= {n["id"] for found in data.values() for n in found if n is not None}
    return given


async def replay(served: Any, context: Context, document: str) -> list[dict[str, Any]]:
    """What a subscription sends from its `after` cursor until it falls quiet."""
    stream = await served.subscribe(document, context_value=context)
    if not hasattr(stream, "__anext__"):  # refused before it started
        return [{"data": stream.data, "errors": [e.formatted for e in stream.errors or []]}]
    results: list[dict[str, Any]] = []
    try:
        while True:
            result = await asyncio.wait_for(anext(stream), QUIET_SECONDS)
            results.append({"data": result.data, "errors": [e.formatted for e in result.errors or []]})
    except (TimeoutError, StopAsyncIteration):
        pass
    finally:
        await stream.aclose()
    return results


@dataclass
class Session:
    """How the walk reaches the served API: queries over HTTP; subscriptions in process, on the same schema
    and with a context like the one the WebSocket endpoint builds (graphql-transport-ws needs a socket, which
    httpx's in-process transport lacks)."""

    catalogue: Catalogue
    world: World
    served: Any
    lanes: asyncio.Semaphore

    async def run(self, role: str, probe: Probe) -> list[dict[str, Any]]:
        async with self.lanes:
            if not probe.subscription:
                return [await self.catalogue.api.gql(probe.document, as_=self.world.keys[role])]
            store = self.catalogue.fixture.store
            context = Context(
                store=store,
                search=ProductSearch(self.catalogue.fixture.meili, self.catalogue.settings.index_uid(PRODUCTS), store),
                viewer=self.world.principals[role],
                loaders=Loaders.create(store),
            )
        # Outside the lanes: a replay mostly waits for its quiet moment.
        return await replay(self.served, context, probe.document)


def refusal(error: dict[str, Any]) -> bool:
    """An error that only says "not for you". NOT_FOUND counts at a root, whose id argument names something the
    viewer may not see (a subscription cannot answer null); deeper, it is an event about a hidden object."""
    code = error.get("extensions", {}).get("code")
    return code in REFUSALS or (code == "NOT_FOUND" and len(error.get("path") or []) == 1)


def query_of(fields: tuple[Sel, ...]) -> str:
    return "{ " + " ".join(f.render() for f in fields) + " }"


def pack(fields: list[Sel]) -> list[tuple[Sel, ...]]:
    """`fields`, aliased, in as few documents as the server's alias and token limits allow."""
    batches: list[tuple[Sel, ...]] = []
    for sel in fields:
        if batches:
            grown = (*batches[-1], replace(sel, alias=f"n{len(batches[-1])}"))
            if sum(f.aliases() for f in grown) <= MAX_ALIASES and fits(query_of(grown)):
                batches[-1] = grown
                continue
        alone = (replace(sel, alias="n0"),)
        assert fits(query_of(alone)), f"a single field is over the server's limits: {query_of(alone)[:300]}"
        batches.append(alone)
    return batches


async def node_shows(session: Session, role: str, hops: set[Hop]) -> dict[Hop, set[str]]:
    """What `node(id)` of each object shows this viewer through each suffix: `... on <its type>` and the same
    field steps, arguments and all. Asked as `nodes(ids:)` (see `node_gives`), one field per type, suffix and
    page of ids, so each answer is read by the same `collect` as the walk's."""
    by_suffix: dict[tuple[str, Suffix], list[str]] = {}
    for node_id, suffix in hops:
        by_suffix.setdefault((type_of(node_id), suffix), []).append(node_id)
    fields = [
        Sel(
            "nodes", f"(ids: {json.dumps(page)})", nest((Sel("", on=name),), (COLLECT_ID, *nest(suffix, (COLLECT_ID,))))
        )
        for (name, suffix), ids in by_suffix.items()
        for page in pages_of(ids)
    ]
    into = Collected()

    async def ask(batch: tuple[Sel, ...]) -> None:
        async with session.lanes:
            body = await session.catalogue.api.gql(query_of(batch), as_=session.world.keys[role])
        unexpected = [e for e in body.get("errors") or [] if not refusal(e)]
        assert not unexpected, f"{role}: {query_of(batch)[:200]}: {unexpected}"
        collect(body.get("data"), batch, "", into)

    await asyncio.gather(*(ask(batch) for batch in pack(fields)))
    return {hop: set(found) for hop, found in into.leads.items()}


async def walk(session: Session, role: str, probes: list[Probe]) -> Reach:
    into = Collected()

    async def run(probe: Probe) -> None:
        for body in await session.run(role, probe):
            unexpected = [e for e in body.get("errors") or [] if not refusal(e)]
            assert not unexpected, f"{role}: {probe.document[:200]}: {unexpected}"
            collect(body.get("data"), (probe.root,), "", into)

    await asyncio.gather(*(run(p) for p in probes))
    world = session.world
    given = await node_gives(session.catalogue, world, role, set(into.paths) | set(world.objects.values()))
    pinned = {(world.objects[label], suffix_of(suffix)) for label, suffix in SHOWS}
    # An object `node(id)` hides is the id checks' to report; nothing below it is compared.
    hops = {hop for hop in set(into.leads) | pinned if hop[0] in given}
    shown = await node_shows(session, role, hops)
    return Reach(paths=into.paths, given=given, leads=into.leads, shown=shown)


@dataclass
class Walked:
    probes: list[Probe]
    roots: set[str]  # every root field that leads to a Node type, the oracle's aside
    unfilled: set[str]
    reach: dict[str, Reach]


@pytest.fixture(scope="module")
async def walked(catalogue: Catalogue, world: World) -> Walked:
    introspected = await catalogue.api.data(get_introspection_query(descriptions=False))
    schema = build_client_schema(cast(IntrospectionQuery, introspected))
    walker = Walker(schema, world.ids_by_type(), world.since)
    probes = probes_for(walker, schema.query_type, "query") + probes_for(
        walker, schema.subscription_type, "subscription"
    )
    # A few requests in flight overlap MongoDB's round trips; many more only queue on the one event loop, past
    # the API key lookup's timeout.
    session = Session(catalogue, world, build_schema(short_path=catalogue.settings.short_path), asyncio.Semaphore(4))
    roles = await asyncio.gather(*(walk(session, role, probes) for role in ROLES))
    reach = dict(zip(ROLES, roles, strict=True))
    roots = walker.leading_roots(schema.query_type) | walker.leading_roots(schema.subscription_type)
    return Walked(probes=probes, roots=roots, unfilled=walker.unfilled, reach=reach)


def report(world: World, offending: list[tuple[str, str]], limit: int = 20) -> str:
    names = {v: k for k, v in world.objects.items()}
    lines = [
        f"  {type_of(i)} {i}{f' ({names[i]})' if i in names else ''} at {world.readable(path)}"
        for i, path in sorted(offending)[:limit]
    ]
    more = len(offending) - limit
    return "\n".join(lines + ([f"  … and {more} more"] if more > 0 else []))


def report_leads(world: World, reach: Reach, offending: list[tuple[Hop, str, str]], limit: int = 20) -> str:
    names = {v: k for k, v in world.objects.items()}

    def name(global_id: str) -> str:
        return f"{type_of(global_id)} {global_id}{f' ({names[global_id]})' if global_id in names else ''}"

    lines = []
    for hop, reached, path in sorted(offending, key=lambda o: (o[0][0], dotted(o[0][1]), o[1], o[2]))[:limit]:
        shows = sorted(names.get(i, i) for i in reach.shown.get(hop, set()))
        lines.append(
            f"  {name(hop[0])} .{dotted(hop[1])} -> {name(reached)}\n"
            f"    reached at {world.readable(path)}\n    node(id) of it shows there {shows}"
        )
    more = len(offending) - limit
    return "\n".join(lines + ([f"  … and {more} more"] if more > 0 else []))


# --- the checks ---------------------------------------------------------------------------------------------


def test_the_walk_covers_the_schema(walked: Walked) -> None:
    """Every field that leads to a Node type is walked: one whose required arguments the walk cannot fill
    would be skipped silently, so it fails here until `Walker.arguments` learns how to fill it."""
    assert not walked.unfilled, f"fields the walk cannot fill: {sorted(walked.unfilled)}"
    assert {p.root.name for p in walked.probes} == walked.roots


@pytest.mark.parametrize("role", ROLES)
async def test_the_world_is_seen_as_intended(world: World, walked: Walked, role: str) -> None:
    """`node(id)` hides from each role what the checks below look for on its paths."""
    given = walked.reach[role].given
    seen = {label for label in TRADE if world.objects[label] in given}
    assert seen == SEES[role], f"node(id) gives {role} {sorted(seen)}, the world means {sorted(SEES[role])}"
    public = [label for label in world.objects if label not in TRADE]
    assert all(world.objects[label] in given for label in public)


@pytest.mark.parametrize("role", ROLES)
async def test_node_shows_below_an_object_what_the_world_means(world: World, walked: Walked, role: str) -> None:
    """The reference of the suffix check, pinned where the rule narrows a relation below an object's own
    audience (see `SHOWS`); and the walk reaches there what the reference shows, so that the suffix check
    compares these relations on paths too."""
    reach = walked.reach[role]
    names = {v: k for k, v in world.objects.items()}
    wrong = []
    for (label, suffix), shows in SHOWS.items():
        hop = (world.objects[label], suffix_of(suffix))
        below = sorted(names.get(i, i) for i in reach.shown.get(hop, set()))
        walked_to = sorted(names.get(i, i) for i in reach.leads.get(hop, {}))
        meant = sorted(shows.get(role, set()))
        if below != meant:
            wrong.append(f"  node({label}) .{suffix} shows {below}, the world means {meant}")
        elif walked_to != meant:
            wrong.append(f"  the walk reaches below {label} .{suffix} {walked_to}, node(id) shows {meant}")
    if wrong:
        pytest.fail(f"{role}:\n" + "\n".join(wrong))


@pytest.mark.parametrize("role", ROLES)
async def test_everything_reached_is_given_by_node(world: World, walked: Walked, role: str) -> None:
    reach = walked.reach[role]
    offending = [(i, path) for i, paths in reach.paths.items() if i not in reach.given for path in paths]
    if offending:
        pytest.fail(f"{role} reaches objects that node(id) hides from it:\n{report(world, offending)}")


@pytest.mark.parametrize("role", ROLES)
async def test_what_node_hides_is_on_no_path(world: World, walked: Walked, role: str) -> None:
    reach = walked.reach[role]
    hidden = {i for i in world.objects.values() if i not in reach.given}
    offending = [(i, path) for i in hidden for path in reach.paths.get(i, ())]
    if offending:
        pytest.fail(f"node(id) hides these from {role}, yet a path reaches them:\n{report(world, offending)}")


@pytest.mark.parametrize("role", ROLES)
async def test_an_object_shows_on_a_path_what_node_shows_of_it(world: World, walked: Walked, role: str) -> None:
    """Every object reached below a Node object A, through a suffix of fields, is among what `node(A)` shows
    this viewer through the same suffix, whichever path reached A."""
    reach = walked.reach[role]
    offending = [
        (hop, reached, path)
        for hop, below in reach.leads.items()
        if hop[0] in reach.given
        for reached, paths in below.items()
        if reached not in reach.shown.get(hop, set())
        for path in paths
    ]
    if offending:
        pytest.fail(
            f"{role} reaches, below these objects, what node(id) of the same object does not show it through the"
            f" same fields:\n{report_leads(world, reach, offending)}"
        )


@pytest.mark.parametrize("role", ROLES)
async def test_the_walk_reaches_what_node_gives(world: World, walked: Walked, role: str) -> None:
    """Guards the walk itself: every trade object of the world that a viewer may open is on some path."""
    reach = walked.reach[role]
    missing = [
        label for label in TRADE if world.objects[label] in reach.given and world.objects[label] not in reach.paths
    ]
    assert not missing, f"{role}: no path reaches {missing}"
