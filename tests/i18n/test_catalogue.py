"""The zh-Hans catalogues are complete: every string marked for translation in the code (the
`django` domain: Python and templates; `djangojs`: the pages' scripts) has a translation, none
is fuzzy, and no translation breaks a placeholder or a link.

The marked strings are extracted afresh (Django's makemessages, i.e. GNU xgettext) from a copy
of the source, so a string marked but never added to the catalogue fails here too."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOGUES = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
DOMAINS = ["django", "djangojs"]
IGNORED = [".venv", "var", "tests", "bench", "verifier", "node_modules", ".git", "locale"]
# %(name)s, %s, %d, {name}, and HTML tags with their attributes, which must all survive.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd%]|\{\w*\}|</?\w+[^>]*>")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def catalogue(domain: str) -> Path:
    return CATALOGUES / f"{domain}.po"


def extracted(tmp_path: Path, domain: str) -> polib.POFile:
    """The catalogue makemessages makes now from a copy of the source."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is needed to extract messages: apt-get install gettext")
    copy = tmp_path / "src"
    top = str(ROOT)
    shutil.copytree(ROOT, copy, ignore=lambda folder, names: IGNORED if folder == top else [])
    (copy / "locale").mkdir()
    ignored = [f"--ignore={name}/*" for name in IGNORED]
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-d", domain, "-l", "zh_Hans", "--no-location"]
        + ["-v", "0", "--ignore=*.min.js", *ignored],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    return polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"))


def key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_marked_string_is_in_the_catalogue_and_translated(tmp_path, domain):
    committed = {key(entry): entry for entry in polib.pofile(str(catalogue(domain)))}
    fresh = extracted(tmp_path, domain)
    assert len(fresh) > 0
    missing = [entry.msgid for entry in fresh if key(entry) not in committed]
    assert not missing, (
        f"marked but not in {catalogue(domain).relative_to(ROOT)} (run makemessages): {missing}"
    )
    untranslated = [
        msgid
        for (_, msgid, plural), entry in committed.items()
        if not (entry.msgstr_plural if plural else entry.msgstr) or "fuzzy" in entry.flags
    ]
    assert not untranslated, f"no zh-Hans translation: {untranslated}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_no_translation_breaks_a_placeholder(domain):
    broken = []
    for entry in polib.pofile(str(catalogue(domain))):
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            if placeholders(translation) != placeholders(entry.msgid):
                broken.append((entry.msgid, translation))
    assert not broken


def test_the_placeholder_check_can_fail():
    assert placeholders("What %(name)s holds") != placeholders("持有的物料")
    assert placeholders('<a href="%(url)s">Sign in</a>') != placeholders('<a href="%(url)s">登录')


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogue_is_the_catalogue(domain):
    """The .mo Django reads says what the .po says (compilemessages was run)."""
    po = polib.pofile(str(catalogue(domain)))
    compiled = polib.mofile(str(catalogue(domain).with_suffix(".mo")))
    mo = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in compiled}
    # Keyed by context too: "Change" (the admin's) and "Change" choosing a language differ.
    singular = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in po if not entry.msgid_plural}
    assert singular == {key: mo.get(key) for key in singular}
