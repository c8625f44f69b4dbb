"""Pages follow the language: the switcher's choice, else the user's own, else the browser's."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_browser_language_chooses_the_page_language(client):
    chinese = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert chinese.status_code == 200
    assert chinese["Content-Language"] == "zh-hans"
    page = chinese.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "审核视图" in page and "Auditor view" not in page

    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english["Content-Language"] == "en-gb"
    assert "Auditor view" in english.content.decode()


def test_the_switcher_sets_the_language_for_the_next_pages(client):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/audit/"})
    assert response.status_code == 302 and response["Location"] == "/audit/"
    assert "审核视图" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_signed_in_user_keeps_the_language_they_chose(client, alice):
    client.force_login(alice)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "zh-hans"

    elsewhere = type(client)()  # another browser, which asks for English
    elsewhere.force_login(alice)
    page = elsewhere.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "退出登录" in page  # "Sign out", in the user's language


def test_every_page_has_the_switcher(client):
    page = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in page


@pytest.mark.parametrize("language", ["zh-hans", "en-gb"])
def test_masses_read_the_same_in_both_languages(language):
    """Figures never change with the language: kg to the gram, grouped in threes."""
    from django.utils import translation

    from ledger.display import display_kg

    with translation.override(language):
        assert display_kg(53_989_891) == "53,989.891"


def test_the_audit_pages_follow_the_language(client, certa):
    from accounts.services import user_create

    client.force_login(user_create(username="carol", organisation=certa, password="carol-checks-it"))
    page = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "按序列号查找轮毂" in page and "Find a wheel hub" not in page
