"""The audit log: explicit calls from every service, chained with SM3.

Services receive an ``Actor`` (who, through what, from which request) and call
``record`` inside their own transaction, so an entry exists exactly when the write does.
Explicit calls rather than model signals: signals skip bulk writes and scripts.
"""

import json
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dangjian.core.crypto import sm3_hex
from dangjian.core.models import AuditChainHead, AuditEntry

MASK = "******"
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who performs a write: a user through a page or the API, or a command run by an operator."""

    user: object | None
    via: str
    request_id: str = ""
    client_ip: str = ""
    label: str = field(default="")

    @classmethod
    def from_request(cls, request, via: str = "page") -> "Actor":
        return cls(
            user=request.user if request.user.is_authenticated else None,
            via=via,
            request_id=getattr(request, "request_id", ""),
            client_ip=getattr(request, "client_ip", ""),
        )

    @classmethod
    def command(cls, name: str) -> "Actor":
        """A management command: full access, recorded under the command's name."""
        return cls(user=None, via="command", label=f"命令 {name}")

    @property
    def name(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        return self.label or "系统"

    @property
    def is_system(self) -> bool:
        return self.user is None


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def snapshot(data: dict | None, sensitive: Iterable[str] = ()) -> dict | None:
    """A JSON-safe copy of ``data`` with sensitive fields masked: the log must not become a leak."""
    if data is None:
        return None
    masked = set(sensitive)
    return {k: (MASK if k in masked and v not in (None, "") else _jsonable(v)) for k, v in data.items()}


def entry_digest(prev_hash: str, content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sm3_hex(prev_hash.encode() + canonical.encode())


def entry_content(entry: AuditEntry) -> dict:
    """The fields the hash covers; every field a reader relies on is in here."""
    return {
        "seq": entry.seq,
        "occurred_at": entry.occurred_at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "via": entry.via,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "org_id": entry.org_id_at_time,
        "org_path": entry.org_path,
        "before": entry.before,
        "after": entry.after,
        "request_id": entry.request_id,
        "client_ip": entry.client_ip,
    }


# Set while an import preview rehearses its rows: everything it writes is rolled back, so there is nothing
# to log, and skipping the log keeps the preview from holding the chain head's lock (which would stop
# every other write on the platform) for as long as a large file takes to check.
_rehearsing: ContextVar[bool] = ContextVar("audit_rehearsing", default=False)


@contextmanager
def rehearsal():
    """Run writes that will be rolled back without appending to the audit chain."""
    token = _rehearsing.set(True)
    try:
        yield
    finally:
        _rehearsing.reset(token)


def record(
    actor: Actor,
    action: str,
    obj,
    *,
    org=None,
    before: dict | None = None,
    after: dict | None = None,
    sensitive: Iterable[str] = (),
) -> AuditEntry | None:
    """Append one entry for a write. Must run inside the write's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the write's transaction")
    if _rehearsing.get():
        return None
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    entry = AuditEntry(
        seq=head.last_seq + 1,
        # Truncated to microseconds and kept in UTC so the hash survives a round trip through any database.
        occurred_at=timezone.now().astimezone(UTC),
        actor=actor.user,
        actor_name=actor.name,
        via=actor.via,
        action=action,
        object_type=obj._meta.label_lower if hasattr(obj, "_meta") else str(type(obj).__name__),
        object_id=str(getattr(obj, "pk", "") or ""),
        object_repr=str(obj)[:200],
        org_id_at_time=getattr(org, "pk", None),
        org_path=getattr(org, "path", "") or "",
        before=snapshot(before, sensitive),
        after=snapshot(after, sensitive),
        request_id=actor.request_id,
        client_ip=actor.client_ip,
        prev_hash=head.last_hash,
    )
    entry.hash = entry_digest(entry.prev_hash, entry_content(entry))
    entry.save(force_insert=True)
    head.last_seq, head.last_hash = entry.seq, entry.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass
class ChainBreak:
    seq: int
    reason: str


def verify_chain(batch_size: int = 5000) -> ChainBreak | None:
    """Recompute the chain from the first entry; return the first entry that does not fit."""
    expected_prev, expected_seq = GENESIS_HASH, 1
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            return ChainBreak(expected_seq, f"缺少序号 {expected_seq} 的日志(下一条为 {entry.seq})")
        if entry.prev_hash != expected_prev:
            return ChainBreak(entry.seq, "前一条哈希不一致(前面的日志被删除或替换)")
        if entry_digest(entry.prev_hash, entry_content(entry)) != entry.hash:
            return ChainBreak(entry.seq, "内容与哈希不一致(日志被修改)")
        expected_prev, expected_seq = entry.hash, expected_seq + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and head.last_seq != expected_seq - 1:
        return ChainBreak(
            expected_seq, f"链尾记录为 {head.last_seq},实际只有 {expected_seq - 1} 条(末尾日志被删除)"
        )
    return None
