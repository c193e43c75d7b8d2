"""The store's tables: one set for the command line and the web.

The catalog (forms, units of measure, indicators), the org-unit tree, the
departments, the reporting rounds, the values with their versions and
provenance, the audit trail of every change, the workflow (submissions and
their events) and the record of every package loaded. A data package
(``ktxh.io.datapackage``) is this store written out as files and read back
(``ktxh.store.packages``).

State changes go through :mod:`ktxh.store.actions` only. The audit trail is
append-only (:class:`ValueChange`). People are named by their user name in
the records: a record keeps who acted even when the
account is not on this server (history loaded from a package): ``updated_by``
and ``username``.

Querysets of the scoped tables have ``restrict(user, action)`` (after NetBox):
the rows a user may see or act on, from :mod:`ktxh.store.permissions`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from ktxh.domain.catalog import Form as DomainForm
from ktxh.domain.layout import FormLayout
from ktxh.domain.years import render

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

USER_NAME = 150  # Django's user name length


class Form(models.Model):
    """An annex form (Biểu số N). ``row`` keeps the whole catalog row (forms.csv), so
    that the domain's :class:`ktxh.domain.catalog.Form` is rebuilt exactly."""

    number = models.PositiveSmallIntegerField(primary_key=True)
    title = models.TextField()
    columns = models.TextField()  # the declared layout, as in forms.csv (ktxh.domain.layout)
    row = models.JSONField(default=dict)

    class Meta:
        ordering: ClassVar = ["number"]

    def __str__(self) -> str:
        return f"Biểu số {self.number}"

    @property
    def label(self) -> str:
        return f"Biểu số {self.number}"

    @property
    def layout(self) -> FormLayout:
        return DomainForm(self.number, self.title, tuple(self.columns.split())).layout

    def title_for(self, year: int) -> str:
        """The title as round ``year`` prints it ("... NĂM {Y+1}" -> "... NĂM 2025")."""
        return render(self.title, year)

    @property
    def has_unit_breakdown(self) -> bool:
        return self.layout.has_unit_breakdown


class MeasureUnit(models.Model):
    """A unit of measure (units.csv)."""

    name = models.CharField(primary_key=True, max_length=50)
    dimension = models.CharField(max_length=50)
    scale = models.CharField(max_length=40)  # a decimal, kept as text to stay exact
    base = models.CharField(max_length=50)
    share = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["order"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """A row of a form. ``row`` keeps the whole catalog row (indicators.csv) so that
    the domain's :class:`ktxh.domain.catalog.Indicator` is rebuilt exactly."""

    code = models.CharField(primary_key=True, max_length=64)
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveIntegerField()
    stt = models.CharField(max_length=20, blank=True)
    name = models.TextField()
    full_name = models.TextField(blank=True)
    kind = models.CharField(max_length=20)
    parent_code = models.CharField(max_length=64, blank=True)
    unit = models.CharField(max_length=50, blank=True)
    unit_printed = models.CharField(max_length=50, blank=True)
    direction = models.CharField(max_length=10, default="up")
    decimals = models.PositiveSmallIntegerField(default=0)
    row = models.JSONField(default=dict)

    class Meta:
        ordering: ClassVar = ["form", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["form", "position"], name="indicator_form_position")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def subtree(self, path: str) -> OrgUnitQuerySet:
        """The unit at ``path`` and every unit below it: a prefix match on the path."""
        return self.filter(Q(path=path) | Q(path__startswith=path + "/"))

    def restrict(self, user: AnyUser, action: str = "view") -> OrgUnitQuerySet:
        from ktxh.store.permissions import scope_of

        scope = scope_of(user)
        if scope is None:
            return self.none()
        return self.filter(scope.orgunit_q("", action))


class OrgUnit(models.Model):
    """A node of the org-unit tree; ``path`` is the materialised path of codes
    from the root ("lai-chau/doan-ket"), so a subtree is a prefix match."""

    code = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=50, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=1000, unique=True)
    order = models.PositiveIntegerField(default=0)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    objects: ClassVar[OrgUnitQuerySet] = OrgUnitQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        # ``path`` is unique, hence indexed (on PostgreSQL also with varchar_pattern_ops,
        # which Django adds for LIKE 'prefix%')
        ordering: ClassVar = ["order"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.level} {self.name}" if self.level else self.name

    @property
    def depth(self) -> int:
        return self.path.count("/")


class OrgEvent(models.Model):
    """A dated change of the tree (merge, split, rename, move, level abolished) with its
    legal basis. ``row`` keeps the package's row (orgunit_events.csv) whole."""

    code = models.CharField(primary_key=True, max_length=64)
    day = models.DateField()
    kind = models.CharField(max_length=20)
    row = models.JSONField(default=dict)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["day", "order"]

    def __str__(self) -> str:
        return f"{self.code} {self.day:%d/%m/%Y} {self.kind}"


class Plan(models.Model):
    """The plan held by this store (one row): the package's head (``name``,
    ``title``, licenses and the ``ktxh`` metadata), the narrative's claims and the
    declared check rules, as the package's rows."""

    name = models.CharField(max_length=200)
    # The head is kept as JSON text, not a JSONField: PostgreSQL's jsonb reorders
    # keys, and a dump must give back the descriptor exactly as it was loaded.
    head_text = models.TextField(default="{}")
    claims = models.JSONField(default=list)
    rules = models.JSONField(default=list)
    loaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name

    @property
    def head(self) -> dict[str, Any]:
        value = json.loads(self.head_text)
        return value if isinstance(value, dict) else {}

    @head.setter
    def head(self, value: dict[str, Any]) -> None:
        self.head_text = json.dumps(value, ensure_ascii=False)

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.head.get("ktxh")
        return dict(meta) if isinstance(meta, dict) else {}

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.name)

    @property
    def reference_year(self) -> int:
        return int(self.meta.get("reference_year", 0))

    @property
    def top_orgunit(self) -> str:
        return str(self.meta.get("top_orgunit", ""))


class Department(models.Model):
    """A department (phòng, ban) of the top unit and the forms it fills."""

    code = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=200)
    forms = models.ManyToManyField(Form, blank=True, related_name="departments")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["order"]

    def __str__(self) -> str:
        return self.name


class RoundStatus(models.TextChoices):
    OPEN = "open", "Đang mở"
    CLOSED = "closed", "Đã khóa"


class Round(models.Model):
    """A reporting round: reference year Y (the plan, first half and estimate of Y,
    the plan of Y+1, and the actual of Y-1), the date its forms are due, whether it
    is open, and the number and date of the report it was published as."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    report_number = models.CharField(max_length=40, blank=True, default="")
    report_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["year"]

    def __str__(self) -> str:
        return f"Kỳ báo cáo năm {self.year}"


class RoundEvent(models.Model):
    """Every opening and closing of a round, with who did it and when."""

    year = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=10)  # "open", "close"
    username = models.CharField(max_length=150)
    at = models.DateTimeField()
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering: ClassVar = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.year} {self.username}"


class Measure(models.TextChoices):
    PLAN = "plan", "Kế hoạch"
    H1 = "h1", "TH 6 tháng"
    ESTIMATE = "estimate", "Ước TH cả năm"
    ACTUAL = "actual", "Thực hiện cả năm"
    PRINTED_RATIO_ESTIMATE_PLAN = (
        "printed_ratio_estimate_plan",
        "Ước TH/KH (%) in trên biểu",
    )
    PRINTED_RATIO_NEXTPLAN_ESTIMATE = (
        "printed_ratio_nextplan_estimate",
        "KH năm sau/Ước TH (%) in trên biểu",
    )


ENTERABLE_MEASURES = ("plan", "h1", "estimate", "actual")


class Source(models.TextChoices):
    """Where a value (or a change of it) came from."""

    SEED = "seed", "báo cáo gốc"
    PACKAGE = "package", "gói dữ liệu"
    IMPORT = "import", "nhập từ tệp Excel"
    WEB = "web", "nhập trên web"
    API = "api", "API"
    REPORT = "report", "đọc từ báo cáo cũ"
    FORECAST = "forecast", "gợi ý ước TH được chấp nhận"


class ValueQuerySet(models.QuerySet["Value"]):
    def restrict(self, user: AnyUser, action: str = "view") -> ValueQuerySet:
        from ktxh.store.permissions import scope_of

        scope = scope_of(user)
        if scope is None:
            return self.none()
        return self.filter(scope.orgunit_q("orgunit__", action) & scope.form_q("indicator__form"))


class Value(models.Model):
    """One number: (indicator, org unit, year, measure), with its provenance.

    ``value`` is null for a printed "-" (explicitly none, ``printed`` "-") and for
    a cell that was cleared (``printed`` empty; kept so that its version and
    history go on). ``version`` goes up by one with every change: a writer
    names the version it saw, and a write over a newer one is refused.
    """

    # no index of their own: the unique key and (orgunit, year) lead with them
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", db_index=False
    )
    orgunit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="values", db_index=False
    )
    year = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=40, choices=Measure.choices)
    value = models.FloatField(null=True, blank=True)
    printed = models.CharField(max_length=60, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PACKAGE)
    source_ref = models.CharField(max_length=300, blank=True)
    seed_line = models.IntegerField(null=True, blank=True)
    confidence = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.CharField(max_length=USER_NAME, blank=True)

    objects: ClassVar[ValueQuerySet] = ValueQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["indicator", "orgunit", "year", "measure"], name="value_key"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["orgunit", "year"], name="value_org_year"),
            # a round's window (frames.round_cells): its years and last year's cells
            models.Index(fields=["year", "measure"], name="value_year_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.orgunit_id} {self.year} {self.measure}"

    @property
    def is_blank(self) -> bool:
        """Cleared: no number and nothing printed."""
        return self.value is None and not self.printed


class AuditError(RuntimeError):
    """The audit trail is append-only."""


class ValueChangeQuerySet(models.QuerySet["ValueChange"]):
    def restrict(self, user: AnyUser, action: str = "view") -> ValueChangeQuerySet:
        from ktxh.store.permissions import scope_of

        scope = scope_of(user)
        if scope is None:
            return self.none()
        return self.filter(scope.orgunit_q("orgunit__", action) & scope.form_q("indicator__form"))

    def update(self, **kwargs: Any) -> int:
        raise AuditError("Nhật ký thay đổi không được sửa")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditError("Nhật ký thay đổi không được xóa")


class ValueChange(models.Model):
    """One change of one value: who, when, old -> new, from where (``source_ref``:
    the file, sheet and cell of an import), in which batch (one import, one save).
    Append-only: ``save`` refuses to update a stored row and ``delete`` refuses."""

    # Few indexes, since every save writes a row here: (value, version) and
    # (orgunit, at) serve the cell's and the unit's history.
    value = models.ForeignKey(
        Value, on_delete=models.PROTECT, related_name="changes", db_index=False
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    orgunit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="changes", db_index=False
    )
    year = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=40, choices=Measure.choices)
    old_value = models.FloatField(null=True, blank=True)
    old_printed = models.CharField(max_length=60, blank=True)
    new_value = models.FloatField(null=True, blank=True)
    new_printed = models.CharField(max_length=60, blank=True)
    version = models.PositiveIntegerField()  # the value's version after this change
    username = models.CharField(max_length=USER_NAME, blank=True)
    at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices)
    source_ref = models.CharField(max_length=300, blank=True)
    batch = models.CharField(max_length=40, blank=True)

    objects: ClassVar[ValueChangeQuerySet] = ValueChangeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar = ["-at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["value", "version"], name="value_change_version")
        ]
        indexes: ClassVar = [models.Index(fields=["orgunit", "-at"], name="change_org_at")]

    def __str__(self) -> str:
        return f"{self.value_id} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditError("Nhật ký thay đổi không được sửa")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditError("Nhật ký thay đổi không được xóa")


class Status(models.TextChoices):
    DRAFT = "draft", "Chưa nộp"
    SUBMITTED = "submitted", "Đã nộp, chờ duyệt"
    APPROVED = "approved", "Đã duyệt"
    RETURNED = "returned", "Bị trả lại"
    REOPENED = "reopened", "Đã mở lại"


# While a form is submitted (under review) or approved, nobody edits its cells.
LOCKING_STATUSES = (Status.SUBMITTED, Status.APPROVED)


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def restrict(self, user: AnyUser, action: str = "view") -> SubmissionQuerySet:
        from ktxh.store.permissions import scope_of

        scope = scope_of(user)
        if scope is None:
            return self.none()
        return self.filter(scope.orgunit_q("orgunit__", action) & scope.form_q("form"))


class Submission(models.Model):
    """A form of one org unit for one reporting round (reference year Y: the
    cells of year Y and the plan of Y+1), and where it stands. A form with no
    row has not been submitted. ``note`` is the submitting unit's, ``opinion``
    the reviewer's, each with its author."""

    orgunit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="submissions")
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="submissions")
    year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    note = models.TextField(blank=True)
    note_by = models.CharField(max_length=USER_NAME, blank=True)
    opinion = models.TextField(blank=True)
    opinion_by = models.CharField(max_length=USER_NAME, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.CharField(max_length=USER_NAME, blank=True)

    objects: ClassVar[SubmissionQuerySet] = SubmissionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar = ["year", "form", "orgunit__order"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["orgunit", "form", "year"], name="submission_key")
        ]

    def __str__(self) -> str:
        return f"{self.orgunit_id} biểu {self.form_id} năm {self.year}: {self.status}"

    @property
    def locked(self) -> bool:
        return self.status in LOCKING_STATUSES


class SubmissionEvent(models.Model):
    """The history of a submission: each submit, approve, return, reopen."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=12)
    status = models.CharField(max_length=12, choices=Status.choices)
    comment = models.TextField(blank=True)
    username = models.CharField(max_length=USER_NAME, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.action}"


class LoadEvent(models.Model):
    """A data package loaded into the store: when, by whom, which, how much."""

    at = models.DateTimeField()
    username = models.CharField(max_length=USER_NAME, blank=True)
    package = models.CharField(max_length=200)
    source = models.TextField(blank=True)  # the directory it was read from
    checksum = models.CharField(max_length=64)  # SHA-256 of its files
    counts = models.JSONField(default=dict)  # rows per resource

    class Meta:
        ordering: ClassVar = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.package} {self.at:%Y-%m-%d %H:%M}"


class Role(models.TextChoices):
    PLANNER = "planner", "Chuyên viên kế hoạch"
    DEPARTMENT = "department", "Cán bộ phòng chuyên môn"
    UNIT = "unit", "Cán bộ xã, phường"


class Profile(models.Model):
    """What a user is in the workspace: a role, an org unit, and (for a
    department officer) the department, whose forms they fill."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ktxh_profile"
    )
    role = models.CharField(max_length=12, choices=Role.choices)
    orgunit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="officers"
    )
    title = models.CharField(max_length=200, blank=True)  # "UBND phường Đoàn Kết"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.role}"


# --- issue 15: state the web tier shares through the database ------------------------


class PendingUpload(models.Model):
    """An uploaded workbook waiting between the preview and the confirmation of an
    import on the web: kept in the database, not on one server's disk, so that any
    application server can take the confirmation (ktxh.web.plan.uploads)."""

    token = models.CharField(max_length=64, db_index=True)  # held by the uploader's session
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=300)
    size = models.BigIntegerField()
    data = models.BinaryField(null=True)  # None: above the size limit, not kept
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["token", "position"], name="pending_upload_file")
        ]

    def __str__(self) -> str:
        return f"{self.token} {self.position} {self.name}"


# --- issue 13: targets and the documents that set them (ktxh.store.targets) -----------


class Document(models.Model):
    """A document that sets targets: a council resolution, a committee decision, an
    assignment from the level above (:class:`ktxh.domain.targets.Document`). A later
    document may amend it (``amends``); both stay."""

    code = models.CharField(primary_key=True, max_length=64)
    kind = models.CharField(max_length=20)
    number = models.CharField(max_length=100, blank=True)  # "12/NQ-HĐND"
    day = models.DateField()
    issuer = models.CharField(max_length=300, blank=True)
    level = models.CharField(max_length=100, blank=True)
    title = models.TextField(blank=True)
    amends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.CharField(max_length=USER_NAME, blank=True)

    class Meta:
        ordering: ClassVar = ["day", "code"]

    def __str__(self) -> str:
        return f"{self.number or self.code} {self.day:%d/%m/%Y}"


class TargetQuerySet(models.QuerySet["Target"]):
    def restrict(self, user: AnyUser, action: str = "view") -> TargetQuerySet:
        from ktxh.store.permissions import scope_of

        scope = scope_of(user)
        if scope is None:
            return self.none()
        return self.filter(scope.orgunit_q("orgunit__", action) & scope.form_q("indicator__form"))


class Target(models.Model):
    """A target of a plan cell (indicator, org unit, year, measure "plan"), as a
    document set it (``document``) or as typed into the cell itself (``document``
    null: the structure of the value's printed text). ``low`` and ``high`` are kept
    as text to stay exact ("6.5"; "" where the target is open)."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", db_index=False
    )
    orgunit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="targets", db_index=False
    )
    year = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=40, default="plan")
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="targets"
    )
    text = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    low = models.CharField(max_length=40, blank=True)
    high = models.CharField(max_length=40, blank=True)
    low_strict = models.BooleanField(default=False)
    high_strict = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.CharField(max_length=USER_NAME, blank=True)

    objects: ClassVar[TargetQuerySet] = TargetQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar = ["indicator", "orgunit", "year", "measure", "document"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["indicator", "orgunit", "year", "measure", "document"],
                name="target_document_key",
            ),
            models.UniqueConstraint(
                fields=["indicator", "orgunit", "year", "measure"],
                condition=Q(document__isnull=True),
                name="target_own_key",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["orgunit", "year"], name="target_org_year")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.orgunit_id} {self.year}: {self.text}"


class TargetEventQuerySet(models.QuerySet["TargetEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditError("Nhật ký chỉ tiêu không được sửa")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditError("Nhật ký chỉ tiêu không được xóa")


class TargetEvent(models.Model):
    """One change of the targets' book: a document recorded or corrected, a target a
    document set for a cell, or one removed; who, when, before and after.
    Append-only, as :class:`ValueChange`."""

    at = models.DateTimeField()
    username = models.CharField(max_length=USER_NAME, blank=True)
    action = models.CharField(max_length=12)  # document, set, remove
    document = models.CharField(max_length=64, blank=True)
    indicator = models.CharField(max_length=64, blank=True)
    orgunit = models.CharField(max_length=64, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    measure = models.CharField(max_length=40, blank=True)
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    source = models.CharField(max_length=10, blank=True)

    objects: ClassVar[TargetEventQuerySet] = TargetEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.document}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditError("Nhật ký chỉ tiêu không được sửa")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditError("Nhật ký chỉ tiêu không được xóa")


# --- past reports read in: drafts and their review (ktxh.store.drafts, issue 16) ------------


class DraftStatus(models.TextChoices):
    OPEN = "open", "Đang xem lại"
    CONFIRMED = "confirmed", "Đã xác nhận"
    DISCARDED = "discarded", "Đã bỏ"


class Draft(models.Model):
    """A reading of past reports put into the store as a draft of round ``year``: its
    values and its review list wait here, apart from the plan's values, until every
    review item is decided and the planner confirms (then the values are written
    through the actions) or discards it. Codes are kept as text, not as foreign keys:
    a draft never holds up a change of the catalog or the tree."""

    year = models.PositiveSmallIntegerField()  # the reference year read: round Y
    status = models.CharField(max_length=12, choices=DraftStatus.choices, default="open")
    files = models.JSONField(default=list)  # the names of the files read
    tables = models.JSONField(default=list)  # how each table was read (for people)
    problems = models.JSONField(default=list)  # input that could not be read, located
    created_by = models.CharField(max_length=USER_NAME, blank=True)
    created_at = models.DateTimeField()
    decided_by = models.CharField(max_length=USER_NAME, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    batch = models.CharField(max_length=40, blank=True)  # the write's batch when confirmed
    written = models.PositiveIntegerField(default=0)  # values written when confirmed

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"bản nháp {self.pk} năm {self.year} ({self.status})"


class DraftValue(models.Model):
    """A value read into a draft, with where it was read and how sure the reading is."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="values")
    indicator = models.CharField(max_length=64)
    orgunit = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=40)
    value = models.FloatField(null=True, blank=True)
    printed = models.CharField(max_length=60, blank=True)
    confidence = models.CharField(max_length=10)
    note = models.TextField(blank=True)
    ocr_confidence = models.FloatField(null=True, blank=True)
    where = models.JSONField(default=dict)  # file, page, sheet, table, line, row, col
    ref = models.CharField(max_length=300, blank=True)  # compact: file!p3!t2!r5!c4
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["draft", "order"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["draft", "indicator", "orgunit", "year", "measure"], name="draft_value_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.orgunit} {self.year} {self.measure}"


class Decision(models.TextChoices):
    ACCEPT = "accept", "Đồng ý"
    ALTERNATIVE = "alternative", "Cách xếp khác"
    CORRECT = "correct", "Sửa"
    REJECT = "reject", "Bỏ"


class DraftItem(models.Model):
    """An item of a draft's review list (an uncertain match, a shifted row, an
    unreadable cell ...) and what a person decided: keep the reading (accept), take
    the next-best placement (alternative), type the right values (correct: ``corrected``
    holds one text per key, "" to leave the cell empty), or leave the values out
    (reject)."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveIntegerField()  # 1-based: the STT of the review workbook
    kind = models.CharField(max_length=20)
    where = models.JSONField(default=dict)
    message = models.TextField()
    printed = models.TextField(blank=True)
    indicator = models.CharField(max_length=64, blank=True)
    keys = models.JSONField(default=list)  # [[indicator, orgunit, year, measure], ...]
    # the next-best placement: [[indicator, orgunit, year, measure, value, printed], ...]
    alternative = models.JSONField(default=list)
    confidence = models.CharField(max_length=10)
    decision = models.CharField(max_length=12, choices=Decision.choices, blank=True)
    corrected = models.JSONField(default=list)  # the texts typed, one per key
    comment = models.TextField(blank=True)
    decided_by = models.CharField(max_length=USER_NAME, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["draft", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["draft", "number"], name="draft_item_number")
        ]

    def __str__(self) -> str:
        return f"mục {self.number} ({self.kind})"
