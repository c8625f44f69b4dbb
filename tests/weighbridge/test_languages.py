"""The weighbridge import's refusals are in the reader's language (issue #20): the same field,
the message in Chinese for a Chinese page, in English otherwise."""

import pytest
from django.utils import translation

from ledger.errors import DomainError
from weighbridge.rules import table_read


@pytest.mark.parametrize(
    ("language", "message"),
    [("en-gb", "the file has a header row but no tickets"), ("zh-hans", "文件只有表头，没有磅单")],
)
def test_a_refused_file_is_told_in_the_readers_language(language, message):
    header = b"ticket,weighed_at,supplier,grade,category,net_kg,distance_km,mode\n"
    with translation.override(language), pytest.raises(DomainError) as refused:
        table_read("tickets.csv", header)
    assert refused.value.errors == {"file": [message]} and refused.value.code == "invalid"
