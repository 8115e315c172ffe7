"""Placeholder until embeds land (issue #22, part S)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    return None
