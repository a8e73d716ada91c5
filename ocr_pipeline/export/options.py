"""Export settings: who provides the items, who holds the copyright, what the edition is called."""

from __future__ import annotations

import dataclasses
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ocr_pipeline.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser as the "tomli" package
    import tomli as tomllib

FORMATS = ("json", "text", "newsml", "alto")

_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


@dataclass(slots=True, frozen=True)
class ExportOptions:
    """Settings for NewsML-G2 and the other exports; validates itself.

    ``provider`` is the provider's internet domain (it goes into item guids, so changing it creates new
    items); ``provider_name`` its display name. ``created`` fixes versionCreated/firstCreated (default:
    the time of the export), which makes output byte-for-byte reproducible for golden files.
    """

    provider: str = "ocr-pipeline.invalid"
    provider_name: str = ""
    copyright_holder: str = ""
    copyright_notice: str = ""
    title: str = ""  # edition title; overrides Edition.title when given
    version: int = 1
    created: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("provider", "provider_name", "copyright_holder", "copyright_notice", "title"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{name.replace('_', '-')} must be text, not {getattr(self, name)!r}")
        if not isinstance(self.version, int) or isinstance(self.version, bool):
            raise ConfigError(f"version must be a whole number, not {self.version!r}")
        if self.created is not None and not isinstance(self.created, datetime):
            raise ConfigError(f"created must be an ISO date-time, not {self.created!r}")
        domain = self.provider.strip().lower()
        if not _DOMAIN.match(domain) or len(domain) > 253:
            raise ConfigError(
                f"provider {self.provider!r} is not an internet domain; give the provider's domain, "
                "e.g. --provider example-daily.com"
            )
        object.__setattr__(self, "provider", domain)
        if self.version < 1:
            raise ConfigError(f"version must be 1 or more, not {self.version}")
        if self.created is not None and self.created.tzinfo is None:
            object.__setattr__(self, "created", self.created.replace(tzinfo=timezone.utc))

    def timestamp(self) -> str:
        when = self.created or datetime.now(timezone.utc).replace(microsecond=0)
        return when.isoformat().replace("+00:00", "Z")

    def replace(self, **changes: Any) -> ExportOptions:
        """A copy with the given fields changed; ``None`` values are ignored (unset CLI options)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_config(path: str | Path, base: ExportOptions | None = None) -> ExportOptions:
    """Read export options from a TOML file: keys at the top level or in an ``[export]`` table
    (``provider``, ``provider-name``, ``copyright-holder``, ``copyright-notice``, ``title``, ``version``,
    ``created``)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("config file not found", path=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not a valid TOML file: {exc}", path=str(path)) from None
    table = data.get("export", data)
    if not isinstance(table, dict):
        raise ConfigError("[export] must be a table", path=str(path))
    names = {f.name for f in dataclasses.fields(ExportOptions)}
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            continue  # other tools' tables in a shared config file
        name = key.replace("-", "_")
        if name not in names:
            raise ConfigError(f"unknown export option {key!r}; known: {', '.join(sorted(names))}", path=str(path))
        if name == "created" and isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ConfigError(f"created: not an ISO date-time: {value!r}", path=str(path)) from None
        changes[name] = value
    try:
        return (base or ExportOptions()).replace(**changes)
    except TypeError as exc:
        raise ConfigError(str(exc), path=str(path)) from None
