"""Keyset cursors (market/core/paging.py): a cursor reads back only in the list and order that handed it out,
and only with sort values BSON can encode as plain values; everything else is INVALID on the argument that
carried it. Page requests: which way a page runs, its size, and the refusals of sizes."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import pytest
from bson import ObjectId

from market.core.errors import DomainError, ErrorCode
from market.core.paging import (
    DEFAULT_PAGE,
    MAX_PAGE,
    PageRequest,
    decode_cursor,
    encode_cursor,
    sort_signature,
)
from market.storage.keyset import after_filter, reversed_sort

PRODUCTS_NEWEST = sort_signature("products", [("createdAt", -1), ("_id", -1)])
OID = '{"$oid": "65f1a2b3c4d5e6f708192a3b"}'


def raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def refused(cursor: str, signature: str = PRODUCTS_NEWEST, width: int = 2) -> None:
    with pytest.raises(DomainError) as excinfo:
        decode_cursor(cursor, signature, width)
    assert [(e.code, e.field) for e in excinfo.value.errors] == [(ErrorCode.INVALID, "after")]


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([datetime(2025, 3, 1, 8, 30), ObjectId("65f1a2b3c4d5e6f708192a3b")], id="date-and-id"),
        pytest.param(["keo dua", ObjectId("65f1a2b3c4d5e6f708192a3b")], id="text"),
        pytest.param([2**63 - 1, ObjectId("65f1a2b3c4d5e6f708192a3b")], id="largest-int64"),
        pytest.param([-(2**63), ObjectId("65f1a2b3c4d5e6f708192a3b")], id="smallest-int64"),
        pytest.param([45000.5, ObjectId("65f1a2b3c4d5e6f708192a3b")], id="float"),
        pytest.param([None, ObjectId("65f1a2b3c4d5e6f708192a3b")], id="missing-field"),
        pytest.param([True, ObjectId("65f1a2b3c4d5e6f708192a3b")], id="bool"),
    ],
)
def test_a_cursor_reads_back_in_the_list_that_made_it(values: list[Any]) -> None:
    assert decode_cursor(encode_cursor(PRODUCTS_NEWEST, values), PRODUCTS_NEWEST, 2) == values


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f'["{PRODUCTS_NEWEST}", 99999999999999999999999, {OID}]', id="int-beyond-64-bits"),
        pytest.param(f'["{PRODUCTS_NEWEST}", 9223372036854775808, {OID}]', id="int64-max-plus-one"),
        pytest.param(f'["{PRODUCTS_NEWEST}", -9223372036854775809, {OID}]', id="int64-min-minus-one"),
        pytest.param(f'["{PRODUCTS_NEWEST}", {{"$code": "sleep(1000)"}}, {OID}]', id="code"),
        pytest.param(f'["{PRODUCTS_NEWEST}", 1e999, {OID}]', id="infinity"),
        pytest.param(f'["{PRODUCTS_NEWEST}", -1e999, {OID}]', id="minus-infinity"),
        pytest.param(f'["{PRODUCTS_NEWEST}", NaN, {OID}]', id="nan"),
        pytest.param(f'["{PRODUCTS_NEWEST}", {{"$numberDouble": "NaN"}}, {OID}]', id="extended-json-nan"),
        pytest.param(f'["{PRODUCTS_NEWEST}", "\\ud800", {OID}]', id="lone-surrogate"),
        pytest.param(f'["{PRODUCTS_NEWEST}", {{"$ne": null}}, {OID}]', id="operator"),
        pytest.param(f'["{PRODUCTS_NEWEST}", {{"$regex": "^a"}}, {OID}]', id="regex"),
        pytest.param(f'["{PRODUCTS_NEWEST}", {{"$numberDecimal": "1"}}, {OID}]', id="decimal128"),
        pytest.param(f'["{PRODUCTS_NEWEST}", [1], {OID}]', id="list"),
        pytest.param(f'[{{"$date": 1}}, {OID}]', id="no-signature"),
        pytest.param(f'[{{"$date": 1}}, {OID}, "{PRODUCTS_NEWEST}"]', id="signature-last"),
        pytest.param(f'[{{"$code": "{PRODUCTS_NEWEST}"}}, {{"$date": 1}}, {OID}]', id="signature-as-code"),
        pytest.param(f'["{PRODUCTS_NEWEST}", {{"$date": 1}}]', id="too-few-values"),
        pytest.param(f'["{PRODUCTS_NEWEST}", {{"$date": 1}}, {OID}, 1]', id="too-many-values"),
    ],
)
def test_hand_made_cursors_are_refused(text: str) -> None:
    refused(raw(text))


def test_a_cursor_of_another_list_or_order_is_refused() -> None:
    values = [datetime(2025, 3, 1), ObjectId("65f1a2b3c4d5e6f708192a3b")]
    producers = sort_signature("producers", [("nameKey", 1), ("_id", 1)])
    inquiries = sort_signature("inquiries", [("createdAt", -1), ("_id", -1)])
    oldest_first = sort_signature("products", [("createdAt", 1), ("_id", 1)])
    assert len({PRODUCTS_NEWEST, producers, inquiries, oldest_first}) == 4
    for other in (producers, inquiries, oldest_first):
        refused(encode_cursor(other, values))
        decode_cursor(encode_cursor(other, values), other, 2)


def test_the_signature_is_stable_and_short() -> None:
    # Cursors outlive a process: the signature may depend on nothing but the list and its order.
    assert sort_signature("products", [("createdAt", -1), ("_id", -1)]) == PRODUCTS_NEWEST
    assert len(PRODUCTS_NEWEST) == 12
    assert json.loads(base64.urlsafe_b64decode(encode_cursor(PRODUCTS_NEWEST, [1, 2])))[0] == PRODUCTS_NEWEST


# --- page requests: first/after forward, last/before backward ------------------------------------------


def refusal(request: PageRequest) -> tuple[ErrorCode, str | None]:
    with pytest.raises(DomainError) as excinfo:
        request.validated()
    [error] = excinfo.value.errors
    return error.code, error.field


@pytest.mark.parametrize(
    ("request_", "backward", "size"),
    [
        pytest.param(PageRequest(), False, DEFAULT_PAGE, id="nothing"),
        pytest.param(PageRequest(first=5), False, 5, id="first"),
        pytest.param(PageRequest(first=5, after="a"), False, 5, id="first-after"),
        pytest.param(PageRequest(first=5, before="b"), False, 5, id="first-before"),
        pytest.param(PageRequest(after="a"), False, DEFAULT_PAGE, id="after-alone"),
        pytest.param(PageRequest(after="a", before="b"), False, DEFAULT_PAGE, id="after-and-before"),
        pytest.param(PageRequest(last=5), True, 5, id="last"),
        pytest.param(PageRequest(last=5, before="b"), True, 5, id="last-before"),
        pytest.param(PageRequest(last=5, after="a"), True, 5, id="last-after"),
        pytest.param(PageRequest(before="b"), True, DEFAULT_PAGE, id="before-alone"),
        pytest.param(PageRequest(last=0), True, 0, id="last-zero"),
    ],
)
def test_a_request_reads_forward_or_backward(request_: PageRequest, backward: bool, size: int) -> None:
    assert request_.validated() is request_
    assert (request_.backward, request_.size) == (backward, size)


def test_first_and_last_together_are_refused_on_last() -> None:
    assert refusal(PageRequest(first=5, last=5)) == (ErrorCode.INVALID, "last")
    assert refusal(PageRequest(first=0, last=0, after="a", before="b")) == (ErrorCode.INVALID, "last")


@pytest.mark.parametrize("name", ["first", "last"])
def test_first_and_last_share_one_cap(name: str) -> None:
    assert refusal(PageRequest(**{name: MAX_PAGE + 1})) == (ErrorCode.OUT_OF_RANGE, name)
    assert refusal(PageRequest(**{name: -1})) == (ErrorCode.OUT_OF_RANGE, name)
    PageRequest(**{name: MAX_PAGE}).validated()


def test_a_bad_cursor_is_refused_on_the_argument_that_carried_it() -> None:
    with pytest.raises(DomainError) as excinfo:
        decode_cursor("not-a-cursor", PRODUCTS_NEWEST, 2, "before")
    assert [(e.code, e.field) for e in excinfo.value.errors] == [(ErrorCode.INVALID, "before")]
    values = [datetime(2025, 3, 1), ObjectId("65f1a2b3c4d5e6f708192a3b")]
    assert decode_cursor(encode_cursor(PRODUCTS_NEWEST, values), PRODUCTS_NEWEST, 2, "before") == values


# --- keyset bounds: `before` is `after` in the reversed order ----------------------------------------------


def test_before_bounds_the_reversed_order() -> None:
    order = [("priceVnd", 1), ("_id", 1)]
    assert reversed_sort(order) == [("priceVnd", -1), ("_id", -1)]
    assert reversed_sort(reversed_sort(order)) == order
    oid = ObjectId("65f1a2b3c4d5e6f708192a3b")
    assert after_filter(reversed_sort(order), [500, oid]) == {
        "$or": [{"priceVnd": {"$lt": 500}}, {"priceVnd": {"$eq": 500}, "_id": {"$lt": oid}}]
    }
    assert after_filter(order, [500, oid]) == {
        "$or": [{"priceVnd": {"$gt": 500}}, {"priceVnd": {"$eq": 500}, "_id": {"$gt": oid}}]
    }
