"""Every page the demo prints, in both languages, as each kind of reader: in Chinese no English
is left in the page's own words (lot codes, serials, names, figures and units excepted), and the
English pages are English.

The page's own words are its text less the data it shows: what the ledger holds (organisation
names and slugs, lot codes and serials, grades, origins, furnaces, part numbers, alloys,
materials), usernames, and the names of standards and units, which read the same in both."""

import io
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Organisation, User
from ledger.models import Lot, Process

# Words that are the same in both languages: names of standards, formats, units, products.
SAME_IN_BOTH = {
    "remelt",
    "API",
    "kg",
    "CO",
    "CO₂e",
    "e",
    "UTC",
    "ISO",
    "RFC",
    "SHA",
    "Ed25519",
    "JSON",
    "CSV",
    "QR",
    "WebCrypto",
    "OEM",
    "PACT",
    "EPCIS",
    "GS1",
    "Merkle",
    "wt",
    "verify",
    "remelt-verify",
    "proof",
    "json",
    "key",
    "our",
    "English",
    "A4",
    "CBAM",
}
# Pages for programs, not people (JSON), and the API's interactive docs (Swagger UI's own,
# English-only interface) are not walked. The admin is: staff read its index (the staff desk)
# in Chinese; the other readers are sent to its sign-in page.
NOT_FOR_PEOPLE = ("health", "API docs", "signed checkpoint", "its evidence bundle")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’.-]*[A-Za-z0-9_’]|[A-Za-z]")
URL = re.compile(r"\w+://\S+")


class Text(HTMLParser):
    """The visible text of a page and its attributes people read, without scripts, styles, code
    and the QR code's URL."""

    SKIP = {"script", "style", "code", "pre", "svg", "title"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[bool] = []  # for each open element: is its text skipped?
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        skipped = bool(self.open and self.open[-1]) or tag in self.SKIP or ("class", "url") in attrs
        if not skipped:
            for name, value in attrs:
                if name in ("placeholder", "aria-label", "title", "alt") and value:
                    self.parts.append(value)
        if tag not in self.VOID:
            self.open.append(skipped)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.open:
            self.open.pop()

    def handle_data(self, data):
        if not (self.open and self.open[-1]) and data.strip():
            self.parts.append(data.strip())


def data_words() -> set[str]:
    """Every word the ledger's data may put on a page."""
    texts = [*Organisation.objects.values_list("name", "slug"), *User.objects.values_list("username")]
    texts.append((settings.LEDGER_ORIGIN,))
    for lot in Lot.objects.all():
        texts.append((lot.code, lot.grade, lot.origin, lot.supplier, lot.part_number, lot.alloy))
    for facts in Process.objects.values_list("facts", flat=True):
        texts.append((str(facts),))
    return {word for row in texts for text in row if text for word in WORD.findall(str(text))}


def english_left(html: str, allowed: set[str]) -> list[str]:
    parser = Text()
    parser.feed(html)
    words = {word.rstrip(".") for part in parser.parts for word in WORD.findall(URL.sub(" ", part))}
    # A word with a digit is a code, a serial, a hash, a figure or a unit (SCR-2026-000001,
    # SHA-256, A356.2), and one letter is a symbol.
    return sorted(
        word for word in words if word not in allowed and len(word) > 1 and not re.search(r"\d", word)
    )


@pytest.fixture
def demo(db, tmp_path, settings, ledger_signing_key):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("load_demo", "--small", "--base-url", "http://testserver", stdout=out)
    printed = out.getvalue()
    urls = dict(re.findall(r"^([a-z' ]+):\s+http://testserver(\S+)", printed, re.MULTILINE))
    # The passport's links in one language (?lang=zh-hans, ?lang=both) are tested on their own.
    return {
        label: path for label, path in urls.items() if label not in NOT_FOR_PEOPLE and "lang=" not in path
    }


READERS = {"anonymous": None, "staff": "staff", "partner": "northstar", "auditor": "veritas"}


@pytest.mark.parametrize("reader", READERS)
def test_every_printed_page_is_chinese_in_chinese(demo, client, reader):
    if READERS[reader]:
        client.force_login(User.objects.get(username=READERS[reader]))
    allowed = SAME_IN_BOTH | data_words()
    walked, left = [], {}
    for label, path in sorted(demo.items()):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9", follow=True)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue  # e.g. the admin for a reader who is not staff: the sign-in page is walked below
        walked.append(label)
        words = english_left(response.content.decode(), allowed)
        if words:
            left[f"{label} {path}"] = words
    walked.append("sign-in")
    sign_in = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    if english := english_left(sign_in.content.decode(), allowed):
        left["sign-in"] = english
    assert len(walked) >= 3
    if reader == "staff":
        assert "admin" in walked
    assert not left, f"English left in the Chinese pages: {left}"


def test_the_check_finds_english_left():
    assert english_left("<p>碳足迹 <b>Saving</b> <code>SCR-1</code> ZY26-1 kg</p>", {"kg"}) == ["Saving"]


def test_the_demo_prints_the_chinese_and_the_bilingual_passport(
    db, tmp_path, settings, ledger_signing_key, client
):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("load_demo", "--small", "--base-url", "http://testserver", stdout=out)
    chinese = re.search(r"in Chinese:\s+http://testserver(\S+)", out.getvalue())[1]
    bilingual = re.search(r"bilingual print:\s+http://testserver(\S+)", out.getvalue())[1]
    assert "碳足迹" in client.get(chinese, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    both = client.get(bilingual, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span lang="zh-hans">碳足迹</span> <span lang="en-gb">Carbon footprint</span>' in both


def test_the_english_pages_are_english(demo, client):
    client.force_login(User.objects.get(username="veritas"))
    for path in demo.values():
        page = client.get(path, HTTP_ACCEPT_LANGUAGE="en", follow=True).content.decode()
        assert not re.search(r"[\u4e00-\u9fff]", page.replace("简体中文", "")), path
