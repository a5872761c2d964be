"""The portal for any WSGI server: `gunicorn wsgi:app` or `waitress-serve wsgi:app`.
Settings come from the environment (config/)."""

from portal.app import create_app

app = create_app()
