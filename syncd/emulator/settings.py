"""How an emulator instance is set up: credentials, timing, limits and seed data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Concurrent active calls per org and app (Kaizen #203) and the current credit table (api-limits page):
# edition -> (concurrency, base credits, credits per user licence, cap or None for unlimited).
EDITIONS: dict[str, tuple[int, int, int, int | None]] = {
    "free": (5, 5_000, 0, 5_000),
    "standard": (10, 50_000, 250, 100_000),
    "professional": (15, 50_000, 500, 3_000_000),
    "enterprise": (20, 50_000, 1_000, 5_000_000),
    "ultimate": (25, 50_000, 2_000, None),
}
EDITION_ALIASES = {"starter": "standard", "zoho_one": "enterprise", "crm_plus": "ultimate"}


def edition_name(name: str) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = EDITION_ALIASES.get(key, key)
    if key not in EDITIONS:
        choices = ", ".join([*EDITIONS, *EDITION_ALIASES])
        raise ValueError(f"unknown edition {name!r}; choose one of {choices}")
    return key


@dataclass
class EmulatorSettings:
    host: str = "127.0.0.1"
    port: int = 0
    # OAuth: what the token endpoint accepts, and how long access tokens live.
    client_id: str = "demo"
    client_secret: str = "demo"
    refresh_token: str = "demo"
    token_seconds: int = 3600
    tokens_per_window: int = 10
    token_window_seconds: int = 600
    # Bulk jobs: records per bulk-read page and how long a job takes from ADDED to COMPLETED.
    page_size: int = 200_000
    job_seconds: float = 1.0
    # Credits and concurrency follow the edition and the number of user licences.
    edition: str = "enterprise"
    users: int = 10
    extra_credits: int = 0
    # Data: synthetic records per module (``"Contacts"`` or ``"bigin:Contacts"``), a random seed.
    seed: dict[str, int] = field(default_factory=dict)
    random_seed: int = 1
    schema_file: Path | None = None
    state_file: Path | None = None
    timezone: str = "UTC"
    org_name: str = "Zylker Demo"

    def __post_init__(self) -> None:
        self.edition = edition_name(self.edition)
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
        if self.job_seconds < 0:
            raise ValueError("job_seconds must not be negative")
        if self.users < 1:
            raise ValueError("users must be at least 1")

    @property
    def concurrency(self) -> int:
        return EDITIONS[self.edition][0]

    @property
    def daily_credits(self) -> int | None:
        """Credits allowed per rolling 24 hours; None means unlimited."""
        _, base, per_user, cap = EDITIONS[self.edition]
        allowed = base + per_user * self.users + self.extra_credits
        return allowed if cap is None else min(allowed, cap)
