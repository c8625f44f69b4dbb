"""canonical() gives RFC 8785 bytes: the same as the `rfc8785` package on every exact JSON value."""

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from remelt_verify import disclosure
from remelt_verify.canonical import (
    MAX_SAFE_INTEGER,
    NotCanonicalisable,
    canonical,
    canonical_exact,
    exact_json,
)

# Every code point but lone surrogates (which neither encoder accepts), weighted toward the
# ones JCS treats specially: controls, quotes, backslashes, U+2028/9, U+FFFF, beyond U+FFFF.
special = st.sampled_from(
    [
        '"',
        "\\",
        "\n",
        "\t",
        "\b",
        "\f",
        "\r",
        "\x00",
        "\x1f",
        "\x7f",
        "\u2028",
        "\uffff",
        "\ue000",
        "\U0001f600",
        "\U0010ffff",
    ]
)
text = st.lists(st.one_of(special, st.characters(exclude_categories=["Cs"])), max_size=8).map("".join)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER), text
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(text, inner, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=600, deadline=None)
@given(values)
def test_the_same_bytes_as_rfc8785(value):
    assert canonical(value) == rfc8785.dumps(value)


def test_keys_sort_by_utf16_code_units_beyond_the_bmp():
    # By code point U+FFFF < U+1F600; by UTF-16 code unit 0xD83D < 0xFFFF, and JCS sorts by those.
    value = {"\uffff": 1, "\U0001f600": [{"\uffff": 2, "\U0001f600": 3}], "a": "\U0001f600"}
    assert canonical(value) == rfc8785.dumps(value)
    assert canonical(value).index("\U0001f600".encode()) < canonical(value).index("\uffff".encode())


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (1.5, ""),
        ({"a": [1, {"b": 0.5}]}, "a[1].b"),
        ({"n": MAX_SAFE_INTEGER + 1}, "n"),
        ({1: "x"}, ""),
        ({"s": {1, 2}}, "s"),
        ({"t": "\ud800"}, ""),
        ({"\udfff": "x"}, ""),
    ],
)
def test_inexact_values_are_refused(value, path):
    with pytest.raises(NotCanonicalisable) as refused:
        canonical(value)
    assert refused.value.path == path


def test_tuples_are_arrays_and_bool_is_not_an_integer():
    assert canonical({"a": (True, 1, None)}) == b'{"a":[true,1,null]}'


# -- the stored disclosures' fast path: exact_json and canonical_exact


@settings(max_examples=400, deadline=None)
@given(values)
def test_exact_json_reads_what_canonical_wrote_and_canonical_exact_writes_it_again(value):
    data = canonical(value)
    parsed = exact_json(data)
    if any(byte >= 0xF0 for byte in data):
        assert parsed is None  # beyond U+FFFF: only canonical() sorts such keys right
    else:
        assert canonical_exact(parsed) == data
        assert parsed == value


@pytest.mark.parametrize(
    "data",
    [b"[1.5]", b"[1e3]", b"[-0.0]", b"[NaN]", b"[Infinity]", b"[9007199254740992]", b"[-9007199254740992]"],
)
def test_exact_json_refuses_what_canonical_refuses(data):
    assert exact_json(data) is None


@pytest.mark.parametrize("data", [b"[", b"[1,]", b"\xff", b""])
def test_exact_json_is_none_for_what_is_not_json(data):
    assert exact_json(data) is None


def test_exact_json_takes_the_largest_exact_integers():
    assert exact_json(b"[9007199254740991,-9007199254740991]") == [MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]


items = st.lists(
    st.fixed_dictionaries({"serial": text, "mass_kg": st.sampled_from(["11.500", "0.001", "6462.000"])}),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(items)
def test_stored_disclosures_give_the_digests_reveal_computes(parts):
    committed = disclosure.commit({"parts": parts}, ["parts"])
    found, digests = disclosure.stored_disclosures(committed.disclosures_bytes)
    assert found == committed.disclosures
    assert digests is None or digests == [disclosure.digest(item) for item in committed.disclosures]
    if digests is None:  # only characters beyond U+FFFF send the disclosures the general way
        assert any(byte >= 0xF0 for byte in committed.disclosures_bytes)
    revealed = disclosure.reveal_stored(committed.payload, committed.disclosures_bytes, complete=True)
    assert revealed == {"parts": parts}


def test_a_disclosure_that_cannot_be_encoded_is_refused_as_before():
    committed = disclosure.commit({"parts": [{"serial": "W1", "mass_kg": "1.000"}]}, ["parts"])
    salt = committed.disclosures[0][0]
    data = b'[["' + salt.encode() + b'",{"mass_kg":"1.000","serial":"\\ud800"}]]'
    assert disclosure.stored_disclosures(data)[1] is None
    with pytest.raises(disclosure.DisclosureError, match="non-UTF-8"):
        disclosure.reveal_stored(committed.payload, data, complete=True)


def test_stored_disclosures_that_are_not_json_are_a_value_error():
    with pytest.raises(ValueError):
        disclosure.stored_disclosures(b"[[")
