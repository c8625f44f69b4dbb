"""What the log knows of each configured witness: what it cosigned last, and its last refusal."""

from django.db import models


class WitnessState(models.Model):
    """One witness of `LEDGER_WITNESSES`, as our submissions found it."""

    key = models.CharField(max_length=300, unique=True)  # the witness's verifier key
    url = models.CharField(max_length=500)  # its submission prefix
    cosigned_size = models.BigIntegerField(default=0)  # the size it holds for our log
    cosigned_at = models.DateTimeField(null=True)
    # The last failure: a refusal (an HTTP status and the witness's words) or no answer.
    problem = models.TextField(blank=True)
    problem_status = models.IntegerField(null=True)  # the witness's HTTP status; null: no answer
    problem_at = models.DateTimeField(null=True)
    checked_at = models.DateTimeField(null=True)

    class Meta:
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
