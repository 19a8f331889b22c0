"""{{ cookiecutter.description }}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import syncd

from {{ cookiecutter.package }}.connector import {{ cookiecutter.class_name }}, {{ cookiecutter.class_name }}Config


@syncd.hookimpl
def register_connectors(register: Callable[[type[syncd.Connector[Any]]], None]) -> None:
    register({{ cookiecutter.class_name }})


__all__ = ["{{ cookiecutter.class_name }}", "{{ cookiecutter.class_name }}Config", "register_connectors"]
