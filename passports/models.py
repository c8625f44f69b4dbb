"""Emission-factor sets: versioned, sourced, and immutable once used."""

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from remelt_verify import carbon
from remelt_verify.carbon import METHOD_VERSION, STAGES


class FactorKind(models.TextChoices):
    MATERIAL = "material", _("Alloying material (kg CO2e/kg)")
    ENERGY = "energy", _("Energy carrier")
    TRANSPORT = "transport", _("Transport mode (kg CO2e/t·km)")


class EmissionFactorSet(models.Model):
    """A named, versioned set of emission factors (e.g. `cn-2026.1`); one set is active."""

    version = models.CharField(max_length=40, unique=True, verbose_name=_("version"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    active = models.BooleanField(default=False, verbose_name=_("active"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("emission factor set")
        verbose_name_plural = _("emission factor sets")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_factor_set"
            )
        ]

    def __str__(self) -> str:
        return self.version

    @classmethod
    def current(cls) -> "EmissionFactorSet":
        return cls.objects.prefetch_related("factors").get(active=True)

    @classmethod
    def current_keys(cls) -> tuple[set[str], set[str]]:
        """The active set's material keys and transport modes, in one query (events check them)."""
        return cls._keys(EmissionFactor.objects.filter(factor_set__active=True))

    @classmethod
    def historic_keys(cls) -> tuple[set[str], set[str]]:
        """The material keys and transport modes of every set there was (a replay checks history)."""
        return cls._keys(EmissionFactor.objects.all())

    @staticmethod
    def _keys(factors) -> tuple[set[str], set[str]]:
        materials, modes = set(), set()
        for kind, key in factors.filter(kind__in=(FactorKind.MATERIAL, FactorKind.TRANSPORT)).values_list(
            "kind", "key"
        ):
            if kind == FactorKind.MATERIAL:
                materials.add(key)
            else:
                modes.add(transport_mode(key))
        return materials, modes

    def carbon_factors(self) -> carbon.Factors:
        """The set's values for the carbon method (read once per instance)."""
        if not hasattr(self, "_carbon_factors"):
            self._carbon_factors = carbon.Factors(self.version, {f.key: f.value for f in self.factors.all()})
        return self._carbon_factors

    def keys(self, kind: str) -> set[str]:
        return {factor.key for factor in self.factors.all() if factor.kind == kind}

    @property
    def materials(self) -> set[str]:
        return self.keys(FactorKind.MATERIAL)

    @property
    def transport_modes(self) -> set[str]:
        return {transport_mode(key) for key in self.keys(FactorKind.TRANSPORT)}


def transport_mode(key: str) -> str:
    """The mode a transport factor is for: `transport_truck` is for `truck`."""
    return key.removeprefix("transport_")


class EmissionFactor(models.Model):
    """One factor: its value, unit and source, and whether it is an estimate."""

    factor_set = models.ForeignKey(
        EmissionFactorSet, on_delete=models.PROTECT, related_name="factors", verbose_name=_("factor set")
    )
    key = models.CharField(max_length=60, verbose_name=_("key"))
    kind = models.CharField(max_length=12, choices=FactorKind.choices, verbose_name=_("kind"))
    value = models.DecimalField(max_digits=14, decimal_places=6, verbose_name=_("value"))
    unit = models.CharField(max_length=40, verbose_name=_("unit"))
    source = models.TextField(verbose_name=_("source"))
    is_estimate = models.BooleanField(default=False, verbose_name=_("estimate"))

    class Meta:
        verbose_name = _("emission factor")
        verbose_name_plural = _("emission factors")
        ordering = ["factor_set", "key"]
        constraints = [models.UniqueConstraint(fields=["factor_set", "key"], name="one_factor_per_key")]

    def __str__(self) -> str:
        return f"{self.factor_set.version}:{self.key}={self.value} {self.unit}"


class PendingRollup(models.Model):
    """A committed ledger entry whose effect on footprints is not rolled up yet.

    Written in the same transaction as the entry, so an entry can never be left without its
    roll-up: if the broker is down when it commits, the beat job still finds it here.
    """

    entry = models.OneToOneField(
        "ledger.Entry", on_delete=models.PROTECT, primary_key=True, related_name="+", verbose_name=_("entry")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("pending roll-up")
        verbose_name_plural = _("pending roll-ups")
        ordering = ["entry"]

    def __str__(self) -> str:
        return _("roll-up pending for #%(seq)s") % {"seq": self.entry_id}


class RollupRun(models.Model):
    """One roll-up: what it covered, and the footprint.computed entry that anchors its results.

    A run of anchor format 2 commits to the footprint versions and carbon states it made by
    the roots of two RFC 6962 trees (`passports.anchor`); format 1 (earlier runs) listed them.
    """

    ledger_seq = models.BigIntegerField(
        help_text=_("the last ledger seq the run saw"), verbose_name=_("ledger seq")
    )
    factor_set = models.ForeignKey(
        EmissionFactorSet, on_delete=models.PROTECT, related_name="runs", verbose_name=_("factor set")
    )
    # Every run names the method it computed with (the roll-up passes it); the default is the
    # method of the runs made before the column existed.
    method = models.CharField(max_length=20, default="remelt-1", verbose_name=_("method"))
    full = models.BooleanField(default=False, verbose_name=_("full"))
    processes_computed = models.PositiveIntegerField(
        default=0, help_text=_("making entries computed"), verbose_name=_("processes computed")
    )
    versions_created = models.PositiveIntegerField(default=0, verbose_name=_("versions created"))
    entry = models.OneToOneField(
        "ledger.Entry", on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("anchor entry")
    )
    anchor_format = models.PositiveSmallIntegerField(default=1, verbose_name=_("anchor format"))
    footprints_count = models.PositiveIntegerField(default=0, verbose_name=_("number of footprints"))
    footprints_root = models.BinaryField(max_length=32, null=True, verbose_name=_("root of the footprints"))
    states_count = models.PositiveIntegerField(default=0, verbose_name=_("number of carbon states"))
    states_root = models.BinaryField(max_length=32, null=True, verbose_name=_("root of the carbon states"))
    started_at = models.DateTimeField(default=timezone.now, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("roll-up run")
        verbose_name_plural = _("roll-up runs")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return _("roll-up %(id)s at seq %(seq)s") % {"id": self.pk, "seq": self.ledger_seq}


def _vector(values: dict) -> dict[str, Decimal]:
    return {stage: Decimal(values[stage]) for stage in STAGES}


class CarbonState(models.Model):
    """The carbon at making of what one making entry made, as a roll-up computed it; versioned.

    Intensity by stage (kg CO2e/kg) and recycled shares of the entry's main products, and for a
    part run with internal scrap that scrap's intensity (it takes none of the run's energy).
    Custody transfers later raise the intensity of what remains (CARBON.md rule 4); that is
    added on reading, from the transfers. Values are decimal strings of 30 significant digits.
    A new version is written only when the numbers (or the factor set) change; each is a leaf
    of its run's `states` tree.
    """

    process = models.ForeignKey(
        "ledger.Process",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("process"),
    )
    version = models.PositiveIntegerField(verbose_name=_("version"))
    run = models.ForeignKey(
        RollupRun,
        on_delete=models.PROTECT,
        related_name="states",
        db_index=False,
        verbose_name=_("roll-up run"),
    )
    leaf_index = models.PositiveIntegerField(verbose_name=_("leaf index"))
    factor_set = models.ForeignKey(
        EmissionFactorSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("factor set")
    )
    intensity = models.JSONField(
        help_text=_("kg CO2e per kg by stage of the main products, at making"), verbose_name=_("intensity")
    )
    internal_scrap = models.JSONField(
        null=True, help_text=_("the same for a part run's internal scrap"), verbose_name=_("internal scrap")
    )
    post_share = models.CharField(max_length=40, verbose_name=_("post-consumer share"))
    pre_share = models.CharField(max_length=40, verbose_name=_("pre-consumer share"))
    # Null (not ""), so SQLite adds the column without rebuilding the table; states with no
    # addition upstream that cites a supplier footprint have none.
    supplier = models.CharField(  # noqa: DJ001
        max_length=40,
        null=True,
        help_text=_("of `alloying`, what suppliers' own footprints priced (remelt-2)"),
        verbose_name=_("priced by suppliers"),
    )
    superseded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("superseded at"))

    class Meta:
        verbose_name = _("carbon state")
        verbose_name_plural = _("carbon states")
        ordering = ["process", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["process", "version"], name="one_state_per_version"),
            models.UniqueConstraint(
                fields=["process"], condition=models.Q(superseded_at__isnull=True), name="one_current_state"
            ),
            models.UniqueConstraint(fields=["run", "leaf_index"], name="one_state_per_leaf"),
        ]

    def __str__(self) -> str:
        return _("carbon state v%(version)s of #%(seq)s") % {"version": self.version, "seq": self.process_id}

    @property
    def value(self) -> carbon.State:
        post, pre = Decimal(self.post_share), Decimal(self.pre_share)
        supplier = Decimal(self.supplier or 0)
        scrap = self.internal_scrap
        return carbon.State(
            carbon.Carbon(_vector(self.intensity), post, pre, supplier),
            None if scrap is None else carbon.Carbon(_vector(scrap), post, pre, supplier),
        )


class AnchorNode(models.Model):
    """A perfect subtree of 2**level leaves of one of a run's anchor trees (levels >= 8 only).

    Lower levels are rebuilt from the run's rows (at most 256 leaves), so a proof reads a few
    dozen rows and the nodes cost about one row per 256 leaves.
    """

    class Tree(models.IntegerChoices):
        FOOTPRINTS = 0, _("footprints")
        STATES = 1, _("states")

    pk = models.CompositePrimaryKey("run", "tree", "level", "index")
    run = models.ForeignKey(
        RollupRun, on_delete=models.PROTECT, related_name="+", verbose_name=_("roll-up run")
    )
    tree = models.PositiveSmallIntegerField(choices=Tree.choices, verbose_name=_("tree"))
    level = models.PositiveSmallIntegerField(verbose_name=_("level"))
    index = models.PositiveIntegerField(verbose_name=_("index"))
    hash = models.BinaryField(max_length=32, verbose_name=_("hash"))

    class Meta:
        verbose_name = _("anchor node")
        verbose_name_plural = _("anchor nodes")

    def __str__(self) -> str:
        return _("run %(run)s %(tree)s node %(level)s/%(index)s") % {
            "run": self.run_id,
            "tree": self.get_tree_display(),
            "level": self.level,
            "index": self.index,
        }


class Footprint(models.Model):
    """One version of a part's (or ingot lot's) footprint; corrections add versions.

    Only what differs per lot is stored: the carbon state it was computed from (shared by every
    lot its making entry made), the intensity its custody transports added
    (`transport_per_kg`), its digest and its leaf in the run's anchor tree. The document itself
    is derived from them and the lot's mass (`document`); versions made before anchor format 2
    kept their document (`stored_document`) and have no state or leaf.
    """

    lot = models.ForeignKey(
        "ledger.Lot",
        on_delete=models.PROTECT,
        related_name="footprints",
        db_index=False,
        verbose_name=_("lot"),
    )
    version = models.PositiveIntegerField(verbose_name=_("version"))
    run = models.ForeignKey(
        RollupRun,
        on_delete=models.PROTECT,
        related_name="footprints",
        db_index=False,
        verbose_name=_("roll-up run"),
    )
    state = models.ForeignKey(
        CarbonState,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
        verbose_name=_("carbon state"),
    )
    transport_per_kg = models.CharField(
        max_length=60, blank=True, help_text=_("kg CO2e per kg, decimal"), verbose_name=_("transport per kg")
    )
    leaf_index = models.PositiveIntegerField(null=True, verbose_name=_("leaf index"))
    digest = models.CharField(max_length=64, verbose_name=_("digest"))
    superseded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("superseded at"))
    stored_document = models.JSONField(
        null=True,
        help_text=_("the document of a version of anchor format 1"),
        verbose_name=_("stored document"),
    )

    class Meta:
        verbose_name = _("footprint")
        verbose_name_plural = _("footprints")
        ordering = ["lot", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "version"], name="one_footprint_per_version"),
            models.UniqueConstraint(
                fields=["lot"], condition=models.Q(superseded_at__isnull=True), name="one_current_footprint"
            ),
            models.UniqueConstraint(fields=["run", "leaf_index"], name="one_footprint_per_leaf"),
        ]

    def __str__(self) -> str:
        return _("footprint v%(version)s of lot %(lot)s") % {"version": self.version, "lot": self.lot_id}

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    @property
    def ledger_seq(self) -> int:
        return self.run.ledger_seq

    @property
    def factor_set(self) -> EmissionFactorSet:
        return self.run.factor_set

    @property
    def document(self) -> dict:
        """The footprint as hashed (decimal strings, RFC 8785 gives its digest)."""
        if self.stored_document is not None:
            return self.stored_document
        if not hasattr(self, "_document"):
            lot = self.lot
            self._document = footprint_document(
                code=lot.code,
                kind=lot.kind,
                mass_g=lot.mass_g,
                base=self.state.value.of(lot.kind),
                transport_per_kg=Decimal(self.transport_per_kg),
                factors=self.run.factor_set.carbon_factors(),
                version=self.version,
                ledger_seq=self.run.ledger_seq,
                method=self.run.method,
            )
        return self._document


def footprint_document(
    *,
    code: str,
    kind: str,
    mass_g: int,
    base: carbon.Carbon,
    transport_per_kg: Decimal,
    factors: carbon.Factors,
    version: int,
    ledger_seq: int,
    method: str = METHOD_VERSION,
) -> dict:
    """The document of a footprint version: a lot's carbon at making, raised by its transports;
    it names the method of the roll-up that made the version."""
    intensity = dict(base.intensity)
    intensity["transport"] = carbon.CONTEXT.add(intensity["transport"], transport_per_kg)
    document = carbon.footprint_document(
        code=code, kind=kind, mass_g=mass_g, intensity=intensity, base=base, factors=factors, method=method
    )
    return {**document, "version": version, "ledger_seq": ledger_seq}
