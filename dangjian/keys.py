"""Secret material: read from the environment or key files, generated on a developer box.

Keys never live in the database. Production sets them through environment variables
(or ``*_FILE`` variables naming a file); a developer box gets them generated into
``var/keys/`` on first use, so ``make run`` works with no setup.
"""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
KEY_DIR = Path(os.environ.get("DANGJIAN_KEY_DIR", BASE_DIR / "var" / "keys"))


def read_secret(name: str, nbytes: int, generate: bool = True) -> str:
    """Return the secret ``name`` as hex: from $NAME, from the file in $NAME_FILE, or from var/keys/."""
    if os.environ.get(name):
        return os.environ[name]
    if os.environ.get(f"{name}_FILE"):
        return Path(os.environ[f"{name}_FILE"]).read_text().strip()
    path = KEY_DIR / name.lower()
    if not path.exists():
        if not generate:
            raise RuntimeError(f"missing secret {name}: set ${name} or ${name}_FILE")
        KEY_DIR.mkdir(parents=True, exist_ok=True)
        # Write with a restrictive mode from the start; never readable by others.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(nbytes))
    return path.read_text().strip()
