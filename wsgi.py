"""Entry point for gunicorn and ``flask``: ``gunicorn wsgi:app``."""
from coursesite import create_app

app = create_app()
