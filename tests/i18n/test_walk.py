"""Every page the demo prints, in both languages, as each kind of reader: in Chinese no English
is left in the page's own words (lot codes, serials, names, figures and units excepted), and the
English pages are English.

The page's own words are its text less the data it shows: what the ledger holds (organisation
names and slugs, lot codes and serials, grades, origins, furnaces, part numbers, alloys,
materials), usernames, and the names of standards and units, which read the same in both."""

import contextlib
import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Organisation, User
from cbam.models import CbamReport, Installation, InstallationUnit
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
    "CN",
    "EU",
    "SEE",  # the regulation's symbols: SEE direct, SEE indirect
    "direct",
    "indirect",
    "PDF",
    "XLSX",
    "MWh",
    "kWh",
    "LGTIN",
    "SGTIN",
    "UN",
    "LOCODE",
    "csv",
    "xlsx",
    "PublishedEvent",
    "ID",
    "Asia",  # a time zone's region (Asia/Shanghai)
    # Names of keys and systems in Django's own Chinese sentences (按住 Control 键或 Mac 上的
    # Command 键; 单一登入或LDAP).
    "Control",
    "Command",
    "Mac",
    "LDAP",
}
# Pages for programs, not people (JSON), and the API's interactive docs (Swagger UI's own,
# English-only interface) are not walked. The admin is: staff read its index (the staff desk)
# in Chinese; the other readers are sent to its sign-in page.
NOT_FOR_PEOPLE = ("health", "API docs", "signed checkpoint", "its evidence bundle")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’.-]*[A-Za-z0-9_’]|[A-Za-z]")
URL = re.compile(r"\w+://\S+|(?:/[\w.-]+)+")  # and file paths


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
    # CBAM: the installations and their units, and the reports' documents (their method notes
    # and codes are part of what the digest commits to, in English).
    texts += Installation.objects.values_list("code", "name", "address")
    texts += InstallationUnit.objects.values_list("code", "name")
    texts += [(json.dumps(document),) for document in CbamReport.objects.values_list("document", flat=True)]
    return {word for row in texts for text in row if text for word in WORD.findall(str(text))}


def admin_data_words() -> set[str]:
    """What the admin shows of the records beyond the lots' data: the text of every row of every
    model it lists (entry types, actors, payloads, documents, factor sets' sources, API keys' and
    clients' names, installations' addresses), the roles' codes that the roles field is typed in,
    the True/False text of Django's own boolean icons (an image's alt, fixed in Django), and what
    its password summary shows of the passwords' salts and hashes."""
    from django.contrib import admin
    from django.db import models

    from accounts.models import Role

    words = {"True", "False", *Role.values}
    # The start of each password's salt and hash, which Django's password summary shows.
    for password in User.objects.values_list("password", flat=True):
        words |= {word for part in password.split("$")[2:] for word in WORD.findall(part[:6])}
    text_fields = (models.CharField, models.TextField, models.JSONField, models.BinaryField)
    listed = {*admin.site._registry}
    for model_admin in admin.site._registry.values():
        listed |= {inline.model for inline in model_admin.inlines}
    for model in listed:
        names = [field.name for field in model._meta.concrete_fields if isinstance(field, text_fields)]
        for row in model._default_manager.values_list(*names) if names else []:
            for value in row:
                if isinstance(value, memoryview | bytes):
                    value = bytes(value).decode("utf-8", "replace")  # payloads: canonical JSON
                elif not isinstance(value, str):
                    value = json.dumps(value)
                # The value, and the starts of it that pages show of hashes and digests.
                for shown in (value, value[:6], value[:12], value[:16]):
                    words |= set(WORD.findall(shown))
    return words


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
    urls = dict(re.findall(r"^([A-Za-z0-9'() -]+?):\s+http://testserver(\S+)", printed, re.MULTILINE))
    # The passport's links in one language (?lang=zh-hans, ?lang=both) are tested on their own.
    return {
        label: path for label, path in urls.items() if label not in NOT_FOR_PEOPLE and "lang=" not in path
    }


# The partners: northstar holds the demo's wheel, huanan owns the CBAM installation and elbe
# imports its shipment (their pages are 404s to the others).
READERS = {
    "anonymous": None,
    "staff": "staff",
    "partner": "northstar",
    "installation owner": "huanan",
    "importer": "elbe",
    "auditor": "veritas",
}


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
    if reader == "installation owner":
        assert {"CBAM report (HN-1)", "CBAM shipment to EU"} <= set(walked)
    if reader == "auditor":
        assert "a scrap lot's recall" in walked
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


def admin_pages(client) -> dict[str, str]:
    """Every page of the admin: each model's list, its add page and the change page of its first
    row (where the staff user has those permissions), and each app's index."""
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    staff = User.objects.get(username="staff")
    request = type("Request", (), {"user": staff})()
    pages = {"index": reverse("admin:index")}
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.setdefault(f"app {info[0]}", reverse("admin:app_list", args=[info[0]]))
        pages[f"{info[0]}.{info[1]} list"] = reverse("admin:{}_{}_changelist".format(*info))
        if model_admin.has_add_permission(request):
            pages[f"{info[0]}.{info[1]} add"] = reverse("admin:{}_{}_add".format(*info))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            name = "admin:{}_{}_change".format(*info)
            with contextlib.suppress(NoReverseMatch):  # a model with no change page
                pages[f"{info[0]}.{info[1]} change"] = reverse(name, args=[first.pk])
    return pages


def test_every_admin_page_is_chinese_in_chinese(demo, client):
    """Staff's every admin list, add and change page, in Chinese: the admin's own words (Django's
    catalogue and remelt's) with no English left; the English admin has no Chinese."""
    client.force_login(User.objects.get(username="staff"))
    allowed = SAME_IN_BOTH | data_words() | admin_data_words()
    left, walked = {}, 0
    for label, path in admin_pages(client).items():
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
        assert response.status_code == 200, (label, path, response.status_code)
        walked += 1
        if words := english_left(response.content.decode(), allowed):
            left[f"{label} {path}"] = words
        english = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert not re.search(r"[\u4e00-\u9fff]", english.replace("简体中文", "")), path
    assert walked > 40
    assert not left, f"English left in the Chinese admin: {left}"


def test_the_cbam_report_and_shipment_print_in_both_languages(demo, client):
    client.force_login(User.objects.get(username="huanan"))
    report = client.get(demo["CBAM report (HN-1)"] + "?lang=both").content.decode()
    assert '<span lang="zh-hans">货物</span> <span lang="en-gb">Goods</span>' in report
    assert '<span lang="zh-hans">隐含排放</span> <span lang="en-gb">Embedded emissions</span>' in report
    shipment = client.get(demo["CBAM shipment to EU"] + "?lang=both").content.decode()
    assert '<span lang="zh-hans">净重 kg</span> <span lang="en-gb">Net mass kg</span>' in shipment
