"""Settings, from the environment, in one place: nothing else reads os.environ."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE = ROOT / "var" / "needsledger.sqlite"


@dataclass(frozen=True)
class Settings:
    database_url: str
    cipher_key: str | None = None
    secret_key: str = field(default="", repr=False)
    environment: str = "development"
    # Projections follow the store in-process after each command (the embedded default)
    # unless workers run them (`needsledger projections run`) and this is off.
    inline_projections: bool = True
    read_your_writes_timeout: float = 5.0
    session_idle_minutes: int = 30

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's own settings, built here so it never reads the
        process environment for them."""
        env = {
            "PERSISTENCE_MODULE": "projections.eventstore",
            "SQLALCHEMY_URL": self.database_url,
            "CREATE_TABLE": "y",
        }
        if self.cipher_key:
            # The cryptography package's AES-GCM: ~3 us an event, ~30x cheaper than the default.
            env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
            env["CIPHER_KEY"] = self.cipher_key
        return env


def load(**overrides: object) -> Settings:
    env = os.environ
    environment = env.get("NEEDSLEDGER_ENV", "development")
    url = env.get("NEEDSLEDGER_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
    secret = env.get("NEEDSLEDGER_SECRET_KEY", "")
    if not secret:
        if environment == "production":
            raise RuntimeError("NEEDSLEDGER_SECRET_KEY must be set in production")
        secret = secrets.token_hex(32)
    values: dict[str, object] = dict(
        database_url=url,
        cipher_key=env.get("NEEDSLEDGER_CIPHER_KEY") or None,
        secret_key=secret,
        environment=environment,
        inline_projections=env.get("NEEDSLEDGER_INLINE_PROJECTIONS", "1") not in ("0", "false", "no"),
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
