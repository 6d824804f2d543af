"""The assessment blueprint: the test pages (views.py) and the course evaluation (evaluation_views.py) share it."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assessment", __name__)
