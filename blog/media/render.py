"""Placeholder until the media rendering step lands (issue #22, part R)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    return None
