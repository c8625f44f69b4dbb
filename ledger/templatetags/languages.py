"""`{% bi %}…{% endbi %}`: text in the page's language, or in both languages on a bilingual page.

On a page rendered with `bilingual` true in its context (the bilingual print of a passport, so
one sheet serves the plant and the importer), the block is rendered once in each of
`BILINGUAL` (Chinese first, then English), each part marked with its `lang`; on any other page
it is rendered once, in the page's language. The strings inside are ordinary `{% translate %}`
and `{% blocktranslate %}` strings, so makemessages finds them.
"""

from django import template
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

BILINGUAL = ("zh-hans", "en-gb")


class BilingualNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        if not context.get("bilingual"):
            return self.nodelist.render(context)
        parts = []
        for language in BILINGUAL:
            with translation.override(language):
                # The block's own rendering, already escaped by the template engine.
                parts.append((language, mark_safe(self.nodelist.render(context).strip())))  # noqa: S308
        both = format_html_join(" ", '<span lang="{}">{}</span>', parts)
        return format_html('<span class="bilingual">{}</span>', both)


@register.tag("bi")
def do_bilingual(parser, token):
    nodelist = parser.parse(("endbi",))
    parser.delete_first_token()
    return BilingualNode(nodelist)
