"""Password strength: at least three of the four character classes."""

import string

from django.core.exceptions import ValidationError

CLASSES = {
    "大写字母": set(string.ascii_uppercase),
    "小写字母": set(string.ascii_lowercase),
    "数字": set(string.digits),
}


def character_classes(password: str) -> int:
    found = sum(1 for chars in CLASSES.values() if any(c in chars for c in password))
    # Anything that is not a letter or a digit counts as a special character.
    found += any(not (c.isascii() and c.isalnum()) for c in password)
    return found


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、特殊字符中的至少{self.min_classes}类。",
                code="password_too_simple",
            )

    def get_help_text(self):
        return f"密码至少8位,包含大写字母、小写字母、数字、特殊字符中的至少{self.min_classes}类。"


class MinimumLengthValidator:
    """The length rule with a Chinese message (Django's own message is not translated in 5.2)."""

    def __init__(self, min_length: int = 8):
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(f"密码太短,至少需要{self.min_length}个字符。", code="password_too_short")

    def get_help_text(self):
        return f"密码至少{self.min_length}个字符。"
