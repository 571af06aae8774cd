"""The list-order rules and the error-body reader the discovery and errors checks judge with."""

from __future__ import annotations

import httpx
import pytest

from regsuite.errorcodes import MalformedErrorBody, error_codes
from regsuite.judge import describe
from regsuite.order import after, duplicates, first_disorder, just_before, order_of


def test_both_orders_the_spec_allows() -> None:
    assert order_of(["B", "a", "b"]) is not None  # byte order ("ASCIIbetical")
    assert order_of(["a", "B", "b"]) is not None  # case-insensitive
    assert order_of(["b", "c", "a"]) is None  # distribution 2.8's storage order
    assert first_disorder(["b", "c", "a"]) == (1, "c", "a")
    assert first_disorder(["a", "b"]) is None


def test_after_duplicates_just_before() -> None:
    assert after(["a", "b", "c", "d"], "b") == ["c", "d"]
    assert duplicates(["a", "b", "a"]) == ["a"]
    assert just_before("ns/app") < "ns/app" and just_before("ns/app") < "ns/app/x"


def _response(status: int, body: bytes, method: str = "GET") -> httpx.Response:
    return httpx.Response(status, content=body, request=httpx.Request(method, "http://127.0.0.1/v2/x/blobs/y"))


def test_error_codes() -> None:
    assert error_codes(_response(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"x"}]}')) == ["BLOB_UNKNOWN"]
    assert error_codes(_response(404, b"404 page not found")) is None  # any format is allowed
    assert error_codes(_response(404, b"")) is None
    with pytest.raises(MalformedErrorBody):
        error_codes(_response(404, b'{"error":"not found"}'))
    with pytest.raises(MalformedErrorBody):
        error_codes(_response(404, b'{"errors":[{"message":"no code"}]}'))


def test_describe_says_what_was_sent_and_what_came_back() -> None:
    text = describe(_response(500, b'{"errors":[{"code":"UNKNOWN"}]}'))
    assert text.startswith("GET /v2/x/blobs/y -> 500") and "UNKNOWN" in text
    assert describe(_response(404, b"", "HEAD")) == "HEAD /v2/x/blobs/y -> 404"
