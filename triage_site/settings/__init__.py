"""Settings per environment: `local` (manage.py default) and `test` (pytest) build on `base`."""
