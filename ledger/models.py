"""The ledger: one global hash chain of entries, and the head row that serialises appends."""

import json

from django.db import models
from django.utils.translation import gettext_lazy as _
from remelt_verify import disclosure
from remelt_verify.chain import GENESIS_HASH


class Entry(models.Model):
    """One append-only entry of the chain; the database refuses UPDATE, DELETE and TRUNCATE.

    `header` and `payload` are the exact canonical bytes that were hashed; the other columns
    repeat header fields for querying, and verification checks that they agree.
    """

    seq = models.BigIntegerField(primary_key=True, verbose_name=_("seq"))
    type = models.CharField(max_length=64, db_index=True, verbose_name=_("type"))
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        related_name="ledger_entries",
        verbose_name=_("organisation"),
    )
    actor = models.CharField(max_length=200, verbose_name=_("actor"))
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"))
    prev_hash = models.CharField(max_length=64, verbose_name=_("previous hash"))
    hash = models.CharField(max_length=64, unique=True, verbose_name=_("hash"))
    payload_sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256 of the payload"))
    header = models.BinaryField(verbose_name=_("header"))
    payload = models.BinaryField(verbose_name=_("payload"))
    # RFC 8785 bytes of the list of [salt, item] of every item the payload commits to one by one,
    # in order (by their digests, or the Merkle roots of their digests: `remelt_verify.disclosure`);
    # null for payloads that commit to no item.
    disclosures = models.BinaryField(null=True, verbose_name=_("disclosures"))

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        db_table = "ledger_entry"
        ordering = ["seq"]
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="ledger_entry_seq_positive")
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}"

    @property
    def data(self) -> dict:
        """The event payload: parsed from the hashed bytes, with every disclosed item in place."""
        return payload_data(self.payload, self.disclosures)


def payload_data(payload: bytes, disclosures: bytes | None) -> dict:
    """An entry's event data from its stored payload and disclosures."""
    data = json.loads(bytes(payload))
    if disclosures is None:
        return data
    return disclosure.reveal_stored(data, bytes(disclosures), complete=True)


class LedgerHead(models.Model):
    """The single row holding the last seq and hash; appenders lock it to take their turn."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, verbose_name=_("ID"))
    seq = models.BigIntegerField(default=0, verbose_name=_("seq"))
    hash = models.CharField(max_length=64, default=GENESIS_HASH, verbose_name=_("hash"))

    class Meta:
        verbose_name = _("ledger head")
        verbose_name_plural = _("ledger heads")
        db_table = "ledger_head"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="ledger_head_single_row")]

    def __str__(self) -> str:
        return _("head #%(seq)s %(hash)s") % {"seq": self.seq, "hash": self.hash[:12]}


class LotKind(models.TextChoices):
    SCRAP = "scrap", _("Scrap")
    MELT = "melt", _("Melt (heat)")
    INGOT = "ingot", _("Ingot lot")
    PART = "part", _("Wheel hub")


class ScrapCategory(models.TextChoices):
    POST_CONSUMER = "post_consumer", _("Post-consumer")
    PRE_CONSUMER = "pre_consumer", _("Pre-consumer")
    INTERNAL = "internal", _("Internal (home scrap)")


class Process(models.Model):
    """A step that made lots (a scrap receipt, a melt, a cast, a part run): its entry and facts.

    `facts` holds what the carbon method needs beyond the lots: furnace, energy, additions,
    dross, transport, documents, as decimal strings.
    """

    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, primary_key=True, related_name="process", verbose_name=_("entry")
    )
    type = models.CharField(max_length=64, verbose_name=_("type"))
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="processes",
        verbose_name=_("organisation"),
    )
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    facts = models.JSONField(default=dict, verbose_name=_("facts"))
    voided = models.BooleanField(default=False, verbose_name=_("voided"))

    class Meta:
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        ordering = ["entry"]

    def __str__(self) -> str:
        return f"#{self.entry_id} {self.type}"


class Lot(models.Model):
    """A quantity of metal (scrap, melt, ingot lot or wheel hub), projected from the ledger."""

    code = models.CharField(max_length=64, unique=True, verbose_name=_("code"))
    kind = models.CharField(max_length=8, choices=LotKind.choices, verbose_name=_("kind"))
    owner = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="lots", verbose_name=_("owner")
    )
    mass_g = models.BigIntegerField(verbose_name=_("mass (g)"))
    remaining_g = models.BigIntegerField(verbose_name=_("remaining (g)"))
    category = models.CharField(
        max_length=16, choices=ScrapCategory.choices, blank=True, verbose_name=_("category")
    )
    grade = models.CharField(max_length=100, blank=True, verbose_name=_("grade"))
    alloy = models.CharField(max_length=40, blank=True, verbose_name=_("alloy"))
    chemistry = models.JSONField(default=dict, blank=True, verbose_name=_("chemistry"))
    part_number = models.CharField(max_length=64, blank=True, verbose_name=_("part number"))
    # A scrap lot's supplier: a platform organisation (its slug) or, for one not on remelt, its
    # name; at most one of the two is set (internal scrap: the maker's slug).
    supplier = models.CharField(max_length=64, blank=True, verbose_name=_("supplier"))
    supplier_name = models.CharField(max_length=200, blank=True, verbose_name=_("supplier name"))
    # The platform supplier confirmed the receipt (supply.confirmed): only then does it hold the lot.
    supplier_confirmed = models.BooleanField(default=False, verbose_name=_("supplier confirmed"))
    origin = models.CharField(max_length=200, blank=True, verbose_name=_("origin"))
    made_by = models.ForeignKey(
        Process, on_delete=models.PROTECT, related_name="outputs", verbose_name=_("made by")
    )
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    voided = models.BooleanField(default=False, verbose_name=_("voided"))

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["made_by", "code"]
        indexes = [models.Index(fields=["kind", "owner"]), models.Index(fields=["alloy"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(mass_g__gt=0), name="lot_mass_positive"),
            models.CheckConstraint(
                condition=models.Q(remaining_g__gte=0, remaining_g__lte=models.F("mass_g")),
                name="lot_remaining_within_mass",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def supplier_or_name(self) -> str:
        """Who supplied the scrap, to show: the organisation's slug or the free-text name."""
        return self.supplier or self.supplier_name


class Consumption(models.Model):
    """Lot `lot` gave `mass_g` grams to the process that made other lots."""

    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, related_name="inputs", verbose_name=_("process")
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="consumptions", verbose_name=_("lot"))
    mass_g = models.BigIntegerField(verbose_name=_("mass (g)"))

    class Meta:
        verbose_name = _("consumption")
        verbose_name_plural = _("consumptions")
        ordering = ["process", "lot"]
        constraints = [
            models.UniqueConstraint(fields=["process", "lot"], name="one_consumption_per_lot_and_process"),
            models.CheckConstraint(condition=models.Q(mass_g__gt=0), name="consumption_mass_positive"),
        ]

    def __str__(self) -> str:
        return _("%(mass)s g of lot %(lot)s into #%(seq)s") % {
            "mass": self.mass_g,
            "lot": self.lot_id,
            "seq": self.process_id,
        }


class Transfer(models.Model):
    """A change of custody: the named lots' remaining metal moved to another organisation."""

    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, primary_key=True, related_name="transfer", verbose_name=_("entry")
    )
    from_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    transport = models.JSONField(default=dict, verbose_name=_("transport"))
    voided = models.BooleanField(default=False, verbose_name=_("voided"))

    class Meta:
        verbose_name = _("custody transfer")
        verbose_name_plural = _("custody transfers")
        ordering = ["entry"]

    def __str__(self) -> str:
        return _("#%(seq)s custody transfer") % {"seq": self.entry_id}


class TransferItem(models.Model):
    """One lot of a transfer, with the mass that moved (its remaining mass at the time)."""

    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="items", verbose_name=_("transfer")
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("lot"))
    mass_g = models.BigIntegerField(verbose_name=_("mass (g)"))

    class Meta:
        verbose_name = _("transfer item")
        verbose_name_plural = _("transfer items")
        constraints = [
            models.UniqueConstraint(fields=["transfer", "lot"], name="one_item_per_lot_and_transfer")
        ]

    def __str__(self) -> str:
        return _("%(lot)s in transfer #%(seq)s") % {"lot": self.lot_id, "seq": self.transfer_id}


class LotHolder(models.Model):
    """An organisation that holds or held a lot (or supplied it); drives who may see it."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="holders", verbose_name=_("lot"))
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )

    class Meta:
        verbose_name = _("lot holder")
        verbose_name_plural = _("lot holders")
        constraints = [models.UniqueConstraint(fields=["lot", "organisation"], name="one_holder_row")]

    def __str__(self) -> str:
        return _("lot %(lot)s held by %(organisation)s") % {
            "lot": self.lot_id,
            "organisation": self.organisation_id,
        }


class TreeNode(models.Model):
    """A perfect subtree of the RFC 6962 Merkle tree over the entries' hashes; append-only.

    Node (level, index) is the hash of leaves [index * 2**level, (index + 1) * 2**level), i.e. of
    entries seq index * 2**level + 1 onwards. Only levels 1 and up are stored: a leaf is its
    entry's `hash`. A node is written by the append that completes it and never changes, so a
    root or proof for any size reads O(log n) of them (see ledger/tree.py).
    """

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField(verbose_name=_("level"))
    index = models.BigIntegerField(verbose_name=_("index"))
    hash = models.BinaryField(max_length=32, verbose_name=_("hash"))

    class Meta:
        verbose_name = _("tree node")
        verbose_name_plural = _("tree nodes")
        db_table = "ledger_tree_node"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=62, index__gte=0),
                name="ledger_tree_node_in_range",
            )
        ]

    def __str__(self) -> str:
        return _("node %(level)s/%(index)s") % {"level": self.level, "index": self.index}


class SignedCheckpoint(models.Model):
    """A signed note (C2SP tlog-checkpoint) of the tree at `size`; one per size, never changed."""

    size = models.BigIntegerField(unique=True, verbose_name=_("size"))
    root = models.BinaryField(max_length=32, verbose_name=_("root"))
    note = models.TextField(verbose_name=_("note"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("signed checkpoint")
        verbose_name_plural = _("signed checkpoints")
        db_table = "ledger_checkpoint"
        ordering = ["size"]
        constraints = [models.CheckConstraint(condition=models.Q(size__gte=0), name="ledger_checkpoint_size")]

    def __str__(self) -> str:
        return _("checkpoint %(size)s") % {"size": self.size}


class Cosignature(models.Model):
    """A witness's cosignature of a checkpoint (C2SP tlog-cosignature): one more line of its note.

    Verified against the witness's key before it is stored (`ledger.cosignatures`); anyone can
    check it again, so the row needs no protection beyond that.
    """

    checkpoint = models.ForeignKey(
        SignedCheckpoint, on_delete=models.PROTECT, related_name="cosignatures", verbose_name=_("checkpoint")
    )
    witness = models.CharField(max_length=300, verbose_name=_("witness"))  # the witness's verifier key string
    line = models.TextField(
        verbose_name=_("line")
    )  # "— <witness name> <base64(key ID || timestamp || signature)>\n"
    timestamp = models.BigIntegerField(verbose_name=_("timestamp"))  # when the witness signed, POSIX seconds
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))

    class Meta:
        verbose_name = _("cosignature")
        verbose_name_plural = _("cosignatures")
        db_table = "ledger_cosignature"
        ordering = ["checkpoint", "witness"]
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "witness"], name="one_cosignature_per_witness")
        ]

    def __str__(self) -> str:
        return _("cosignature of checkpoint %(size)s by %(witness)s") % {
            "size": self.checkpoint_id,
            "witness": self.witness.split("+", 1)[0],
        }
