"""Re-encrypt members' protected fields with the current data key, and rebuild the ID-number blind index.

Rotation: put the new key in DANGJIAN_DATA_KEY (or its file), name the old one in DANGJIAN_OLD_DATA_KEYS
(or --old-keys) so rows stay readable meanwhile, run this command, then drop the old key. It works in
batches, each in its own transaction with one audit entry, so it can be stopped and run again: rows
already under the current key are only re-indexed.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangjian.core import audit, crypto
from dangjian.core.audit import Actor
from dangjian.core.crypto import DecryptionError
from dangjian.members import protected
from dangjian.members.models import Member

FIELDS = ["id_number_enc", "phone_enc", "address_enc", "id_number_index"]


@dataclass
class KeyRotationBatch:
    """What the audit entry of one batch names."""

    pk: str

    def __str__(self):
        return f"成员密文轮换 {self.pk}"


class Command(BaseCommand):
    help = "Re-encrypt member ID numbers, phones and addresses with the current data key, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--old-keys", default="", help="retired data keys (hex), comma-separated")

    def handle(self, *args, batch_size: int, old_keys: str, **options):
        keys = crypto.keyring()
        for hex_key in filter(None, (k.strip() for k in old_keys.split(","))):
            key = bytes.fromhex(hex_key)
            keys[crypto.key_id(key)] = key
        current = crypto.key_id(bytes.fromhex(settings.DATA_KEY))
        actor = Actor.command("rotate_member_keys")
        last_pk, rotated, total = 0, 0, 0
        while True:
            with transaction.atomic():
                batch = list(
                    Member.objects.select_for_update().filter(pk__gt=last_pk).order_by("pk")[:batch_size]
                )
                if not batch:
                    break
                changed = [m for m in batch if self.rekey(m, keys, current)]
                Member.objects.bulk_update(batch, FIELDS)
                audit.record(
                    actor,
                    "member.rekey",
                    KeyRotationBatch(f"{batch[0].pk}-{batch[-1].pk}"),
                    after={
                        "first_id": batch[0].pk,
                        "last_id": batch[-1].pk,
                        "re_encrypted": len(changed),
                        "key_id": current,
                    },
                )
            last_pk = batch[-1].pk
            rotated += len(changed)
            total += len(batch)
        self.stdout.write(
            f"已处理 {total} 名党员,其中 {rotated} 名的密文改用当前密钥 {current} 重新加密;盲索引已重建。"
        )

    def rekey(self, member: Member, keys: dict, current: str) -> bool:
        """Re-seal every protected column not under the current key; True when one was."""
        changed = False
        for column in protected.PROTECTED_FIELDS:
            token = getattr(member, f"{column}_enc")
            try:
                value = protected.open_sealed(column, member.row_key, token, keys)
            except DecryptionError as exc:
                raise CommandError(f"党员 #{member.pk} 的{column}无法解密:缺少旧密钥?({exc})") from exc
            if token and not token.startswith(current + ":"):
                setattr(member, f"{column}_enc", protected.seal(column, member.row_key, value))
                changed = True
            if column == "id_number":
                member.id_number_index = protected.id_index(value)
        return changed
