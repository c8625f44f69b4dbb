"""Chinese number formats as plants and their paperwork write them: digits grouped in threes
with a comma (14,054.740 kg), as on invoices and weighbridge slips, where Django's own zh_Hans
formats group nothing. Dates and times are Django's (2026年11月5日)."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403 - Django's, with the grouping below

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
