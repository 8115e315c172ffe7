"""Placeholder until usage tracking lands (issue #22, part L)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    return None
