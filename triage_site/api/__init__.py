"""The JSON API (``api/``) and the OpenAI-compatible API (``v1/``), both behind bearer tokens."""
