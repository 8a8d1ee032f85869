"""Error reports (the DEBUG 500 page, and error e-mails if ever configured) without patient data.

Django's own filter hides settings whose names look secret, and POST values only where a view
says so, and only while DEBUG is off. A call's transcript, phone number and location arrive as
form fields and sit in view locals, so here every POST value and every frame's local variables
are withheld, always; settings that hold URLs with passwords are hidden too. An exception whose
message may quote the input (``log_redaction.quotes_input``) shows its type only.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from triage_site.log_redaction import exception_chain, quotes_input


class PatientDataReporterFilter(SafeExceptionReporterFilter):
    """Withholds POST values, frame variables, credentials in settings and request headers."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|COOKIE|DATABASE|REDIS|BROKER|BACKEND|CHANNEL|URL",
        flags=re.IGNORECASE)

    def is_active(self, request) -> bool:
        return True  # DEBUG on or off: a developer's screen is no place for a patient's call either

    def get_post_parameters(self, request) -> dict[str, Any]:
        if request is None:
            return {}
        try:
            post = request.POST.copy()
        except Exception:  # noqa: BLE001 - e.g. RequestDataTooBig: nothing to show then
            return {}
        for name in post:
            post.setlist(name, [self.cleansed_substitute])
        return post

    def get_traceback_frame_variables(self, request, tb_frame) -> list[tuple[str, str]]:
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]


class PatientDataExceptionReporter(ExceptionReporter):
    """Django's report, with the exception's message withheld when it may quote the input."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if self.exc_value is not None and self._quotes_input():
            data["exception_value"] = "(message withheld: it may quote call text)"
            data["unicode_hint"] = ""
        return data

    def get_traceback_frames(self) -> list[dict[str, Any]]:
        frames = super().get_traceback_frames()
        for frame in frames:  # "The above exception (<its message>) was the direct cause ..."
            cause = frame.get("exc_cause")
            if cause is not None and self._quotes_input():
                frame["exc_cause"] = f"{type(cause).__name__}: (message withheld: it may quote call text)"
        return frames

    def _quotes_input(self) -> bool:
        """Whether any exception in the chain may quote the input (then every message is withheld)."""
        return any(quotes_input(link) for link in exception_chain(self.exc_value))
