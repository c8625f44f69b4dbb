"""Problems follow Accept-Language (issue #20, item 4): `title`, `detail` and the `errors`
messages in Chinese or English; `code`, `type`, field paths and JSON keys the same in both; the
answer says its language in Content-Language, and the OpenAPI schema documents both headers."""

import ast
import re
from pathlib import Path

from django.conf import settings

from config.api.problems import TITLES
from tests.api.support import assert_problem, event, post, scrap

CJK = re.compile(r"[\u4e00-\u9fff]")
ZH = {"Accept-Language": "zh-Hans"}
EN = {"Accept-Language": "en"}


def both(send) -> tuple[dict, dict, object, object]:
    english, chinese = send(EN), send(ZH)
    return english.json(), chinese.json(), english, chinese


def assert_same_but_words(english: dict, chinese: dict) -> None:
    assert english.keys() == chinese.keys()
    for key in ("type", "code", "status"):
        assert english[key] == chinese[key]
    assert list(english["errors"]) == list(chinese["errors"])
    assert [len(m) for m in english["errors"].values()] == [len(m) for m in chinese["errors"].values()]
    assert not CJK.search(english["title"] + english["detail"])
    assert CJK.search(chinese["title"]) and CJK.search(chinese["detail"]), chinese
    for messages in chinese["errors"].values():
        assert all(CJK.search(message) for message in messages), chinese["errors"]


def test_a_rule_refusal_has_the_same_code_and_fields_in_chinese(loop, client_for):
    client = client_for("alurec")
    overdrawn = {
        "furnace": "TC-65",
        "inputs": [{"lot": "SCR-A", "mass_kg": "2500"}],
        "output_mass_kg": "2400",
    }
    english, chinese, en_response, zh_response = both(lambda h: post(client, "melt.recorded", overdrawn, **h))
    assert_problem(en_response, 409, "overdrawn") and assert_problem(zh_response, 409, "overdrawn")
    assert_same_but_words(english, chinese)
    assert english["title"] == "Overdrawn" and chinese["title"] == "超量领用"
    assert english["detail"] == "lot 'SCR-A' has 2000.000 kg left, 2500.000 kg asked"
    assert (
        chinese["detail"] == "批次 “SCR-A” 仅剩 2000.000 kg，要求 2500.000 kg"
    )  # code and figures unchanged
    assert (en_response["Content-Language"], zh_response["Content-Language"]) == ("en-gb", "zh-hans")


def test_shape_errors_of_a_batch_item_translate_with_their_paths_unchanged(cast, client_for):
    client = client_for("alurec")
    bad = scrap("SCR-1", "-5") | {"grade": "", "colour": "grey"}
    batch = [event("scrap.received", scrap("SCR-0")), event("scrap.received", bad)]
    english, chinese, *_ = both(lambda h: client.post("/api/v1/events/", batch, format="json", headers=h))
    assert english["code"] == "invalid"
    assert_same_but_words(english, chinese)
    assert list(chinese["errors"]) == ["[1].data.grade", "[1].data.mass_kg", "[1].data.colour"]
    assert chinese["errors"]["[1].data.mass_kg"] == ["请确保以千克计的质量不为负数。"]
    assert english["errors"]["[1].data.mass_kg"] == ["Ensure a mass in kg is not negative."]
    assert (
        chinese["detail"].startswith("[1].data.grade: 该字段不能为空。")
        and "另有 2 个字段" in chinese["detail"]
    )


def test_drf_errors_and_the_api_own_refusals_translate_too(cast, client_for, anonymous):
    client = client_for("alurec")
    english, chinese, *_ = both(
        lambda h: client.post("/api/v1/events/", {"type": "scrap.received"}, format="json", headers=h)
    )
    assert_same_but_words(english, chinese)
    assert chinese["errors"]["occurred_at"] == ["该字段是必填项。"]
    english, chinese, _en, zh_response = both(lambda h: anonymous.get("/api/v1/lots/", headers=h))
    assert english["code"] == chinese["code"] == "not_authenticated"
    assert CJK.search(chinese["title"] + chinese["detail"])
    english, chinese, _en, zh_response = both(lambda h: client.get("/api/v1/nothing-here/", headers=h))
    assert_same_but_words(english, chinese)
    assert zh_response["Content-Language"] == "zh-hans"  # converted by ApiProblemMiddleware
    english, chinese, _en, zh_response = both(lambda h: client.get("/api/v1/lots/?x=%00", headers=h))
    assert english["code"] == chinese["code"] == "nul_character"
    assert (
        chinese["detail"] == "URL 中含有 NUL 字符（%00）。" and zh_response["Content-Language"] == "zh-hans"
    )


def test_a_browser_language_list_picks_chinese_and_an_unknown_one_english(cast, client_for):
    client = client_for("alurec")
    chinese = client.get("/api/v1/lots/NOPE/", headers={"Accept-Language": "de;q=0.9, zh-CN;q=0.8"})
    german = client.get("/api/v1/lots/NOPE/", headers={"Accept-Language": "de"})
    assert chinese["Content-Language"] == "zh-hans" and CJK.search(chinese.json()["title"])
    assert german["Content-Language"] == "en-gb" and german.json()["title"] == "Not found"


def test_every_problem_code_raised_in_the_source_has_a_translated_title():
    raised = set()
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        if {".venv", "tests", "bench", "verifier", "pact"} & set(path.parts):
            continue  # PACT answers in its own (English) error format
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                "DomainError",
                "problem_response",
            ):
                for arg in node.args[:2]:
                    if isinstance(arg, ast.Constant) and re.fullmatch(r"[a-z_]+", str(arg.value)):
                        raised.add(arg.value)
                        break
    assert raised - set(TITLES) == set()
    assert {"invalid", "overdrawn", "not_owner"} <= raised


def test_the_schema_documents_accept_language_and_content_language(client):
    schema = client.get("/api/schema/?format=json").json()
    operations = [op for ops in schema["paths"].values() for op in ops.values() if isinstance(op, dict)]
    assert operations
    for operation in operations:
        headers = [p for p in operation.get("parameters", []) if p.get("in") == "header"]
        assert "Accept-Language" in [p["name"] for p in headers], operation.get("operationId")
        for response in operation["responses"].values():
            assert "Content-Language" in response["headers"]
