"""One call's page: transcript, ratings, response (streaming while generated), and the override."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from inference.cards.library import card_to_dict
from inference.levels import LEVELS
from triage_site.forms import OverridePriorityForm
from triage_site.models import Call
from triage_site.permissions import dispatcher_required
from triage_site.routing import call_socket_path
from triage_site.selectors import call_get
from triage_site.services.calls import call_override_priority


@dispatcher_required
@require_GET
def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call_or_404(call_id)
    form = OverridePriorityForm(initial={"priority": call.override_priority})
    return _render(request, call, form)


@dispatcher_required
@require_POST
def call_override(request: HttpRequest, call_id: int) -> HttpResponse:
    """Set (or clear) the dispatcher's urgency; the running engine re-ranks the call."""
    call = _call_or_404(call_id)
    form = OverridePriorityForm(request.POST)
    if form.is_valid():
        priority = form.cleaned_data["priority"]
        try:
            call_override_priority(call_id=call.pk, priority=priority, user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Urgency overridden." if priority is not None
                             else "Override cleared: the model's rating applies.")
            return redirect("call_detail", call_id=call.pk)
    return _render(request, call, form, status=400)


def _call_or_404(call_id: int) -> Call:
    try:
        return call_get(call_id=call_id)
    except Call.DoesNotExist:
        raise Http404("No such call.") from None


def reply_verdict(call: Call) -> str:
    """One line a dispatcher reads: did the LM's reply pass the checker, or is the card shown?"""
    if call.reply_passed is None:
        return "The reply is being written; read the card meanwhile." if call.cards else ""
    if call.reply_passed:
        return "Checked reply: it passed every rule of the card's checker."
    return "Vetted card shown (reply failed: " + "; ".join(call.reply_check_reasons) + ")."


def _render(request: HttpRequest, call: Call, form: OverridePriorityForm, status: int = 200) -> HttpResponse:
    from inference.cards.evaluation import MACHINE_NOTE
    from triage_site.cards import cards_of

    probabilities = call.priority_probabilities or []
    return render(request, "calls/detail.html", {
        "call": call,
        "cards": [card_to_dict(card) for card in cards_of(call.cards)] if call.cards else [],
        "verdict": reply_verdict(call),
        "machine_note": MACHINE_NOTE,
        "form": form,
        "level": LEVELS[call.priority] if call.priority is not None else None,
        "predicted_level": LEVELS[call.predicted_priority] if call.predicted_priority is not None else None,
        "probabilities": [(lv, round(100 * p, 1)) for lv, p in zip(LEVELS, probabilities)],
        "config": {"socketPath": call_socket_path(call.pk), "callId": call.pk},
    }, status=status)
