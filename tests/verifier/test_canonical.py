"""canonical() gives RFC 8785 bytes: the same as the `rfc8785` package on every exact JSON value."""

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from remelt_verify.canonical import MAX_SAFE_INTEGER, NotCanonicalisable, canonical

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
