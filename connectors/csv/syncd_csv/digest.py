"""Telling a read that a stream's file has not changed since its cursor, without parsing it.

A read keeps in its cursor a digest of the file's bytes and of how they are read (encoding,
delimiter, time zone, key and column types, timestamp column): when the digest is the same at the
next read, the previous read's result still stands.
"""

from __future__ import annotations

import hashlib
import json

from syncd import ConfigError
from syncd_csv.config import CsvConfig
from syncd_csv.schema import Schema


def new_digest(schema: Schema, config: CsvConfig) -> hashlib.blake2b:
    """A digest seeded with how the file is read; feed it the file's bytes."""
    spec = schema.spec
    settings = [
        config.encoding,
        config.delimiter,
        config.timezone,
        list(spec.key),
        spec.cursor_field,
        [[field.name, str(field.type)] for field in spec.fields],
    ]
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps(settings).encode())
    return digest


def file_digest(schema: Schema, config: CsvConfig) -> str:
    """The hex digest of the file as it is now, read in blocks (never held in memory)."""
    try:
        with schema.path.open("rb") as handle:
            return hashlib.file_digest(handle, lambda: new_digest(schema, config)).hexdigest()
    except FileNotFoundError:
        raise ConfigError(f"{schema.path}: the file does not exist", file=str(schema.path)) from None
