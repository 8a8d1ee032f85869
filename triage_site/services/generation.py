"""Services for a call's generation: queue it, mark it started, store its result.

Each is a compare-and-set on the status, so a redelivered task, a restarted worker and the
engine thread can race without double-storing or losing anything.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from inference.engine.engine_loop import GenerationResult
from triage_site.models import Call, CallStatus, EngineWorker

logger = logging.getLogger(__name__)

GENERATABLE = (CallStatus.CLASSIFIED, CallStatus.QUEUED, CallStatus.GENERATING)


def call_queue(*, call_id: int, engine_worker: str = "", dispatch_number: int | None = None) -> Call | None:
    """Queue a classified call for ``engine_worker``'s engine; None when there is nothing to generate.

    A call found QUEUED or GENERATING was being served by an engine that died: its partial
    response is dropped and it is queued again (generation restarts from the prompt). With
    ``dispatch_number``, a call re-sent since (re-ranked in the broker) is left alone.
    """
    calls = Call.objects.filter(pk=call_id, status__in=GENERATABLE)
    if dispatch_number is not None:
        calls = calls.filter(dispatch_number=dispatch_number)
    updated = calls.update(
        status=CallStatus.QUEUED, queued_at=timezone.now(), started_at=None, first_token_at=None,
        response="", prompt_tokens=None, output_tokens=None, finish_reason="", engine_worker=engine_worker,
        reply_passed=None, reply_check_reasons=[], shown_text="")
    if not updated:
        return None
    logger.info("call %s queued for generation on %s", call_id, engine_worker or "this engine")
    return Call.objects.get(pk=call_id)


def call_mark_generating(*, call_id: int) -> bool:
    """The engine scheduled the call for the first time."""
    return bool(Call.objects.filter(pk=call_id, status=CallStatus.QUEUED).update(
        status=CallStatus.GENERATING, started_at=timezone.now()))


def call_complete(*, call_id: int, result: GenerationResult) -> bool:
    """Store a finished response; False if the call was no longer being generated."""
    record = result.record
    finished_at = timezone.now()
    # The engine timed the request on one clock; place its moments back from finished_at so
    # started <= first token <= finished holds exactly.
    times = {"finished_at": finished_at}
    if record.latency_s is not None:
        for field, offset_s in (("started_at", record.queueing_delay_s), ("first_token_at", record.ttft_s)):
            if offset_s is not None:
                times[field] = finished_at - timedelta(seconds=record.latency_s - offset_s)
    checked = _check_reply(call_id, result.text, record.finish_reason)
    updated = Call.objects.filter(pk=call_id, status__in=(CallStatus.QUEUED, CallStatus.GENERATING)).update(
        **checked, status=CallStatus.DONE, response=result.text, prompt_tokens=record.num_prompt_tokens,
        output_tokens=record.num_output_tokens, finish_reason=record.finish_reason or "",
        num_preemptions=record.num_preemptions, **times)
    if updated:
        logger.info("call %s done: %s tokens, %s preemptions", call_id, record.num_output_tokens,
                    record.num_preemptions)
    return bool(updated)


def _check_reply(call_id: int, text: str, finish_reason: str | None) -> dict:
    """The checker's verdict on a reply and what the dispatcher is shown (the reply, or the card)."""
    from inference.cards.evaluation import Reply, shown_for
    from triage_site.cards import cards_of

    call = Call.objects.only("text", "cards").get(pk=call_id)
    shown = shown_for(Reply(text, finish_reason, 0), cards_of(call.cards), call_text=call.text)
    return {"reply_passed": not shown.from_card, "reply_check_reasons": list(shown.check.reasons),
            "shown_text": shown.text}


def engine_worker_heartbeat(*, name: str, num_seats: int, waiting_per_level: list[int],
                            running_per_level: list[int]) -> None:
    """An engine says it is alive, and what it holds (the dashboard's fleet panel)."""
    EngineWorker.objects.update_or_create(name=name, defaults={
        "last_seen_at": timezone.now(), "num_seats": num_seats,
        "waiting_per_level": waiting_per_level, "running_per_level": running_per_level})


def engine_workers_alive(*, silence_s: float) -> int:
    """How many engines sent a heartbeat within ``silence_s``."""
    return EngineWorker.objects.filter(last_seen_at__gte=timezone.now() - timedelta(seconds=silence_s)).count()


def engine_worker_is_alive(*, name: str, silence_s: float) -> bool:
    """Has the named engine sent a heartbeat within ``silence_s``?"""
    return EngineWorker.objects.filter(
        name=name, last_seen_at__gte=timezone.now() - timedelta(seconds=silence_s)).exists()
