"""Platform records: the audit log and import batches."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One write someone (or a command) made: who, what, where, and the data before and after.

    Append-only and chained: ``hash`` is SM3 over ``prev_hash`` and the entry's content, so a
    changed or removed entry breaks the chain at that point (``manage.py verify_audit``).
    """

    seq = models.PositiveBigIntegerField("序号", unique=True)
    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField("操作人", max_length=150)
    via = models.CharField("途径", max_length=30)  # page, api, command, import
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, db_index=True)
    object_id = models.CharField("对象编号", max_length=64, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    # The org path at the time, so the log can be filtered by subtree without joining live data.
    org_id_at_time = models.BigIntegerField("组织编号", null=True, blank=True, db_index=True)
    org_path = models.CharField("组织路径", max_length=255, blank=True, db_index=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    request_id = models.CharField("请求号", max_length=64, blank=True)
    client_ip = models.CharField("IP地址", max_length=45, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = "审计日志"

    def __str__(self):
        return f"#{self.seq} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The single row holding the last sequence number and hash; locking it serializes appends."""

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"audit head #{self.last_seq}"


class ImportBatch(models.Model):
    """One uploaded file being imported: its rows, the preview's findings, and what it created."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "待确认"
        COMMITTED = "committed", "已导入"
        CANCELLED = "cancelled", "已取消"
        UNDONE = "undone", "已撤销"

    kind = models.CharField("导入类型", max_length=40)
    file_name = models.CharField("文件名", max_length=255)
    content = models.BinaryField("文件内容")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    valid_rows = models.PositiveIntegerField("有效行数", default=0)
    imported_rows = models.PositiveIntegerField("已导入行数", default=0)
    # [{"row": 3, "column": "类别", "message": "..."}] from the latest preview or commit.
    errors = models.JSONField("错误", default=list)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "导入批次"

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"


class ImportedObject(models.Model):
    """A record a batch created, so the batch can be undone exactly."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="objects_created")
    object_type = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    row_number = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.object_type}:{self.object_id} (row {self.row_number})"
