"""What the log knows of each configured witness: what it cosigned last, and its last refusal."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WitnessState(models.Model):
    """One witness of `LEDGER_WITNESSES`, as our submissions found it."""

    key = models.CharField(
        max_length=300, unique=True, verbose_name=_("verifier key")
    )  # the witness's verifier key
    url = models.CharField(max_length=500, verbose_name=_("URL"))  # its submission prefix
    cosigned_size = models.BigIntegerField(
        default=0, verbose_name=_("cosigned size")
    )  # the size it holds for our log
    cosigned_at = models.DateTimeField(null=True, verbose_name=_("cosigned at"))
    # The last failure: a refusal (an HTTP status and the witness's words) or no answer.
    problem = models.TextField(blank=True, verbose_name=_("problem"))
    problem_status = models.IntegerField(
        null=True, verbose_name=_("problem status")
    )  # the witness's HTTP status; null: no answer
    problem_at = models.DateTimeField(null=True, verbose_name=_("problem at"))
    checked_at = models.DateTimeField(null=True, verbose_name=_("checked at"))

    class Meta:
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key.split("+", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split("+", 1)[0]

    @property
    def failing(self) -> bool:
        """Did the last submission fail (a refusal or no answer)?"""
        return bool(self.problem) and (self.cosigned_at is None or self.problem_at >= self.cosigned_at)
