"""Rule messages in both languages: a value a message names is in the language's own quotes
('SCR-A' in English, “SCR-A” in Chinese), never Python's repr quotes in a Chinese sentence, and a
message's figures are its placeholders, the same in both."""

import pytest
from django.utils import translation

from ledger.errors import DomainError, quoted
from ledger.services import EventInput, batch_cost_check


@pytest.mark.parametrize(("language", "expected"), [("en-gb", "'SCR-A'"), ("zh-hans", "“SCR-A”")])
def test_a_named_value_is_in_the_languages_quotes(language, expected):
    with translation.override(language):
        assert quoted("SCR-A") == expected


def test_what_cannot_be_shown_is_escaped_and_what_is_not_text_is_bare():
    with translation.override("zh-hans"):
        assert quoted("A\nB") == "“A\\nB”"
        assert quoted(12.5) == "12.5"
        assert quoted(["x"]) == "['x']"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en-gb", "the batch has 4 items (events and the entries of their lists); at most 3: split it"),
        ("zh-hans", "该批共 4 项（事件及其列表中的各条）；最多 3 项：请拆分后提交"),
    ],
)
def test_a_batch_too_large_is_told_in_the_readers_language(settings, language, message):
    settings.LEDGER_MAX_BATCH_ITEMS = 3
    batch = [EventInput("custody.transferred", None, {"lots": ["A", "B", "C"]})]
    with translation.override(language), pytest.raises(DomainError) as refused:
        batch_cost_check(batch)
    refusal = (refused.value.code, refused.value.status, refused.value.message)
    assert refusal == ("batch_too_large", 413, message)


@pytest.mark.parametrize(
    ("language", "message"),
    [("en-gb", "mass must not be negative"), ("zh-hans", "重量不能为负数")],
)
def test_a_mass_is_named_in_the_language_active_when_the_message_is_made(language, message):
    from ledger.quantities import parse_mass

    # The word for the value is looked up when a message is made, not when the module is loaded.
    with translation.override(language), pytest.raises(DomainError) as refused:
        parse_mass("-1", "inputs[0].mass_kg")
    assert refused.value.errors == {"inputs[0].mass_kg": [message]}
