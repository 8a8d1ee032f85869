"""The iteration-level scheduler shared by the simulator and the real engine.

Each step, for every policy alike, within ``max_num_seqs`` requests,
``max_num_batched_tokens`` tokens and the KV cache:

0. displacement: while the best waiting request cannot be admitted and ranks
   before the worst running one, preempt the worst if the policy allows it (for a
   seat, or, more sparingly, for KV memory);
1. decodes the policy wants first (all of them, except for SLAI; a policy's batch cap may
   hold some back for this iteration);
2. running requests part-way through their prefill continue, best first (chunked);
3. waiting requests are admitted best first, until one does not fit (no skipping,
   so a large urgent request is not starved by small ones behind it);
4. the decodes the policy let wait get the leftover budget.

Stages 2 and 3 also respect the policy's prefill guard, when it gives one: an allowance
for the prefill of less urgent requests in an iteration that carries urgent decodes
(``prefill_guard.py``); a head of the queue the guard holds back stops admission.

When the KV cache cannot hold the next token of every decode, the worst running
requests are preempted. A victim keeps its KV in host memory (swap) or loses it
(recompute), per the setting; ``auto`` picks the cheaper to restore.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass

from scheduling.executor import StepOutcome
from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits, PrefillChunk, StepPlan
from scheduling.policies import Policy
from scheduling.prefill_guard import PrefillGuard
from scheduling.request import Request, RequestStatus, check_priority
from scheduling.step_time import StepTimeModel
from scheduling.waiting_queue import AgingWaitingQueue, Key


@dataclass(slots=True)
class StepUpdate:
    """What an applied step changed for the driver: requests that started and finished."""

    started: list[Request]
    finished: list[Request]


class Scheduler:
    def __init__(self, policy: Policy, kv_cache: KVCache, limits: BatchLimits,
                 preemption_mode: str = "recompute", step_time: StepTimeModel | None = None) -> None:
        if preemption_mode == "auto" and step_time is None:
            raise ValueError("preemption_mode 'auto' needs a step-time model to compare costs")
        self.policy = policy
        self.kv = kv_cache
        self.limits = limits
        self.preemption_mode = preemption_mode
        self.step_time = step_time
        policy.bind(step_time, limits, kv_cache.num_blocks * kv_cache.block_size)
        self.waiting = policy.make_waiting_queue()
        self.decoding: list[Request] = []
        """Running requests whose next step computes one token (their last output)."""
        self.prefilling: list[Request] = []
        """Running requests part-way through their prompt (or its recompute)."""
        self.num_preemptions = 0
        self._worst_key_bound: Key | None = None
        """Key of the worst running request when last computed. Running keys never
        increase, so it bounds the current worst from above until the set changes."""

    # -- intake -------------------------------------------------------------------

    def add_request(self, request: Request) -> None:
        """Queue a request; refuse one that could never fit in the KV cache."""
        max_tokens = request.prompt_tokens + request.output_tokens
        if self.kv.blocks_for(max_tokens) > self.kv.num_blocks:
            raise ValueError(
                f"request {request.request_id} needs {max_tokens} tokens of KV cache, "
                f"more than the {self.kv.num_blocks * self.kv.block_size} the setting holds")
        self.waiting.push(request)

    def reprioritise(self, request: Request, priority: int) -> None:
        """Change the urgency the policy ranks ``request`` by (a dispatcher's override).

        A waiting request is re-queued under its new key; a running one is ranked by it
        from the next step on (it may then displace, or be displaced, as the policy allows).
        """
        check_priority(priority)
        if request.status is RequestStatus.WAITING:
            self.waiting.remove(request)
            request.priority = request.predicted_priority = priority
            self.waiting.push(request)
        else:
            request.priority = request.predicted_priority = priority
            self._worst_key_bound = None  # a running key may have grown

    @property
    def running(self) -> list[Request]:
        return self.decoding + self.prefilling

    @property
    def num_running(self) -> int:
        return len(self.decoding) + len(self.prefilling)

    @property
    def has_work(self) -> bool:
        return bool(self.decoding) or bool(self.prefilling) or len(self.waiting) > 0

    # -- one step -----------------------------------------------------------------

    def schedule(self, now: float) -> StepPlan:
        """The next iteration's plan; never empty while there is work.

        A plan can come out empty only right after preempting the last runner (the victim
        may not be re-admitted in the plan that preempted it); a second pass then plans its
        retry, and the one plan carries both passes' preemptions.
        """
        plan = self._plan(now)
        if plan.is_empty and self.has_work:
            retry = self._plan(now)
            if retry.is_empty:  # a bug, not input: every request fits the cache on its own
                raise RuntimeError("the scheduler planned nothing while requests wait")
            retry.preempted[:0] = plan.preempted
            plan = retry
        return plan

    def _plan(self, now: float) -> StepPlan:
        plan = StepPlan()
        preempted_ids: set[int] = set()
        if self.policy.displaces_running and len(self.waiting):
            self._displace_for_waiting(now, plan, preempted_ids)
        self._make_room_for_decodes(plan, preempted_ids)
        runnable = self.policy.decodes_this_step(self.decoding, now)
        if self.prefilling or len(self.waiting):
            first, later = self.policy.split_decodes(runnable, now,
                                                     self.kv.num_used_blocks / self.kv.num_blocks)
        else:  # no prefill to make room for: every decode runs, whatever the policy
            first, later = runnable, []
        reserved = self.kv.num_blocks_for_next_tokens(later) if later else 0
        self._schedule_decodes(first, plan)
        guard = (self.policy.prefill_guard(plan.decodes, now)
                 if self.prefilling or len(self.waiting) else None)
        budget = self.limits.max_num_batched_tokens - len(first)
        budget = self._continue_prefills(plan, budget, reserved, guard)
        budget, blocked_by = self._admit_waiting(now, plan, budget, preempted_ids, reserved, guard)
        if len(later) > budget:
            later = heapq.nsmallest(budget, later, key=self.policy.deferred_decode_key)
        self._schedule_decodes(later, plan)
        while plan.is_empty and self.num_running:
            # Only partial prefills remain and the cache is too full for any: make room.
            self._preempt(self._worst_running(), plan, preempted_ids)
            self._continue_prefills(plan, self.limits.max_num_batched_tokens, 0)
        plan.is_steady = (not plan.prefills and not plan.preempted and not plan.swapped_in
                          and not self.prefilling and len(plan.decodes) == len(self.decoding)
                          and bool(plan.decodes) and self._admission_stays_blocked(blocked_by))
        return plan

    def update(self, plan: StepPlan, outcome: StepOutcome, now: float) -> StepUpdate:
        """Apply an executed plan (``plan.num_iterations`` repeats of a steady one), ending at
        ``now``: count its tokens, finish the requests that reached their length or that the
        executor stopped (end of sequence), free their KV."""
        num_iterations = plan.num_iterations
        if num_iterations > 1:
            if not plan.is_steady:
                raise ValueError("only a steady plan may be repeated")
            self.kv.allocate_tokens(plan.decodes, num_iterations)
        if outcome.stopped_ids:
            for request_id in outcome.stopped_ids:
                self._stop_after_next_token(plan, request_id)
        finished: list[Request] = []
        for request in plan.decodes:
            request.num_computed_tokens += num_iterations
            request.num_output_tokens += num_iterations
            request.last_token_time_s = now
            if request.num_output_tokens >= request.output_tokens:
                finished.append(request)
        for chunk in plan.prefills:
            request = chunk.request
            request.num_computed_tokens += chunk.num_new_tokens
            if request.num_computed_tokens == request.num_tokens:
                request.num_output_tokens += 1
                if request.first_token_time_s is None:
                    request.first_token_time_s = now
                request.last_token_time_s = now
                self.prefilling.remove(request)
                self.decoding.append(request)
                if request.num_output_tokens >= request.output_tokens:
                    finished.append(request)
        if finished:
            for request in finished:
                request.status = RequestStatus.FINISHED
                request.finish_time_s = now
                self.kv.free(request)
            self.decoding = [r for r in self.decoding if r.status is RequestStatus.RUNNING]
            self._worst_key_bound = None
        self.policy.on_step_end(plan.decodes, now, outcome.step_time_s, num_iterations)
        return StepUpdate(plan.started, finished)

    @staticmethod
    def _stop_after_next_token(plan: StepPlan, request_id: int) -> None:
        """Cut a request's length to the token this step adds (the executor saw it end)."""
        for request in itertools.chain(plan.decodes, (c.request for c in plan.prefills)):
            if request.request_id == request_id:
                request.output_tokens = request.num_output_tokens + 1
                return
        raise ValueError(f"request {request_id} was stopped but is not in the plan")

    def max_steady_iterations(self, plan: StepPlan) -> int:
        """How often a steady plan can repeat before a request finishes or the cache fills."""
        until_finish = min(r.output_tokens - r.num_output_tokens for r in plan.decodes)
        if until_finish <= 1:
            return 1
        return self._kv_iteration_limit(plan.decodes, until_finish)

    # -- stages ---------------------------------------------------------------------

    def _displace_for_waiting(self, now: float, plan: StepPlan, preempted_ids: set[int]) -> None:
        # Exact count: the decodes take their blocks before admission, and a candidate judged
        # to fit without them would then be blocked while the plan is declared steady.
        reserved = self.kv.num_blocks_for_next_tokens(self.decoding)
        while True:
            candidate = self.waiting.peek(now)
            if candidate is None or candidate.request_id in preempted_ids:
                return
            if self._fits(candidate, self.limits.max_num_batched_tokens, reserved):
                return
            for_memory = self.num_running < self.limits.max_num_seqs
            victim = self._worst_running_if_after(candidate, for_memory)
            if victim is None:
                return
            self._preempt(victim, plan, preempted_ids)
            reserved = self.kv.num_blocks_for_next_tokens(self.decoding)

    def _make_room_for_decodes(self, plan: StepPlan, preempted_ids: set[int]) -> None:
        while self._blocks_reserved_for_decodes() > self.kv.num_free_blocks:
            self._preempt(self._worst_running(), plan, preempted_ids)

    def _blocks_reserved_for_decodes(self) -> int:
        """Blocks the decodes' next tokens may need; exact only when it matters (cache nearly full)."""
        if len(self.decoding) <= self.kv.num_free_blocks:
            return 0  # each decode needs at most one block: all fit, nothing to reserve against
        return self.kv.num_blocks_for_next_tokens(self.decoding)

    def _schedule_decodes(self, decodes: list[Request], plan: StepPlan) -> None:
        if decodes:
            plan.decode_context_tokens += self.kv.allocate_next_tokens(decodes)
            plan.decodes.extend(decodes)

    def _continue_prefills(self, plan: StepPlan, budget: int, reserved_blocks: int,
                           guard: PrefillGuard | None = None) -> int:
        scheduled = {chunk.request.request_id for chunk in plan.prefills}
        partial = sorted((r for r in self.prefilling if r.request_id not in scheduled),
                         key=self.policy.key)
        for request in partial:
            if budget <= 0:
                break
            free = self.kv.num_free_blocks - reserved_blocks
            room = (request.num_kv_blocks + free) * self.kv.block_size - request.num_computed_tokens
            num_tokens = min(request.num_uncomputed_tokens, budget, room)
            if guard is not None:
                num_tokens = guard.max_new_tokens(request, num_tokens)
            if num_tokens <= 0:
                continue
            self._add_prefill(request, num_tokens, plan, guard)
            budget -= num_tokens
        return budget

    def _admit_waiting(self, now: float, plan: StepPlan, budget: int, preempted_ids: set[int],
                       reserved_blocks: int, guard: PrefillGuard | None = None) -> tuple[int, str]:
        """Admit best-first; return the budget left and why admission stopped."""
        while True:
            candidate = self.waiting.peek(now)
            if candidate is None:
                return budget, "empty"
            if candidate.request_id in preempted_ids:
                return budget, "preempted"
            if self.num_running >= self.limits.max_num_seqs:
                return budget, "seqs"
            if budget <= 0:
                return budget, "budget"
            if not self._fits(candidate, budget, reserved_blocks):
                return budget, "kv"
            if guard is not None and not self._guard_admits(candidate, budget, guard):
                return budget, "guard"
            self.waiting.pop(now)
            candidate.status = RequestStatus.RUNNING
            if candidate.first_scheduled_time_s is None:
                candidate.first_scheduled_time_s = now
                plan.started.append(candidate)
            self._worst_key_bound = None
            if candidate.swapped_out:
                candidate.swapped_out = False
                self.kv.allocate(candidate, 0)  # blocks for the KV coming back from host memory
                plan.swapped_in.append(candidate)
                plan.num_swapped_in_tokens += candidate.num_computed_tokens
                if guard is not None:
                    guard.charge_swap_in(candidate)
            if candidate.is_decoding:
                self.decoding.append(candidate)
                self._schedule_decodes([candidate], plan)
                budget -= 1
            else:
                self.prefilling.append(candidate)
                num_tokens = min(candidate.num_uncomputed_tokens, budget)
                if guard is not None:  # a swap-in may have spent the allowance: the chunk waits
                    num_tokens = guard.max_new_tokens(candidate, num_tokens)
                if num_tokens > 0:
                    self._add_prefill(candidate, num_tokens, plan, guard)
                    budget -= num_tokens

    # -- helpers --------------------------------------------------------------------

    def _add_prefill(self, request: Request, num_tokens: int, plan: StepPlan,
                     guard: PrefillGuard | None = None) -> None:
        self.kv.allocate(request, num_tokens)
        plan.prefills.append(PrefillChunk(request, num_tokens, request.num_computed_tokens))
        if guard is not None:
            guard.charge_prefill(request, num_tokens, request.num_computed_tokens)

    def _guard_admits(self, candidate: Request, budget: int, guard: PrefillGuard) -> bool:
        """Does the guard leave room for ``candidate``'s swap-in and a first chunk (or decode)?"""
        if candidate.swapped_out and not guard.allows_swap_in(candidate):
            return False
        if candidate.swapped_out and candidate.is_decoding:
            return True
        wanted = min(candidate.num_uncomputed_tokens, budget)
        return guard.max_new_tokens(candidate, wanted) > 0

    def _fits(self, request: Request, budget: int, reserved_blocks: int) -> bool:
        """Would ``request`` get a seat and the KV for its next chunk (after the reserve)?"""
        if self.num_running >= self.limits.max_num_seqs:
            return False
        num_tokens = min(request.num_uncomputed_tokens, budget)
        needed = self.kv.num_blocks_needed(request, num_tokens)
        return needed + reserved_blocks <= self.kv.num_free_blocks

    def _worst_running_if_after(self, candidate: Request, for_memory: bool) -> Request | None:
        """The worst running request if ``candidate`` ranks before it, else None."""
        if not self.num_running:
            return None
        key = self.policy.key(candidate)
        if self._worst_key_bound is not None and not key < self._worst_key_bound:
            return None  # the true worst key is <= the bound, so candidate cannot beat it
        worst = self._worst_running()
        if key < self._worst_key_bound and self.policy.may_displace(candidate, worst, for_memory):
            return worst
        return None

    def _worst_running(self) -> Request:
        worst = max(itertools.chain(self.decoding, self.prefilling), key=self.policy.key)
        self._worst_key_bound = self.policy.key(worst)
        return worst

    def _preempt(self, victim: Request, plan: StepPlan, preempted_ids: set[int]) -> None:
        (self.decoding if victim in self.decoding else self.prefilling).remove(victim)
        self._worst_key_bound = None
        if self._should_swap(victim):
            victim.swapped_out = True
        else:
            victim.num_computed_tokens = 0
        self.kv.free(victim)
        victim.num_preemptions += 1
        self.num_preemptions += 1
        preempted_ids.add(victim.request_id)
        plan.preempted.append(victim)
        self.waiting.push(victim)

    def _should_swap(self, victim: Request) -> bool:
        if self.preemption_mode != "auto":
            return self.preemption_mode == "swap"
        tokens = victim.num_computed_tokens
        return self.step_time.swap_in_s(tokens) < self.step_time.prefill_s(tokens)

    def _admission_stays_blocked(self, blocked_by: str) -> bool:
        """Will admission stay blocked while only decodes run? (Steady-plan test.)

        More decoding only shrinks free KV, so a KV-blocked head stays blocked, and a head the
        prefill guard holds stays held while the same decodes run. Under aging the head can also
        change with time alone; ``steady_horizon_s`` tells a driver until when it cannot.
        """
        if blocked_by in ("empty", "seqs", "kv"):
            return True
        return blocked_by == "guard"

    def steady_horizon_s(self, now: float) -> float:
        """Until when a steady plan stays valid with no arrival or finish: the next time a
        waiting request becomes overdue or late under aging (``math.inf`` otherwise)."""
        if isinstance(self.waiting, AgingWaitingQueue):
            return self.waiting.next_change_s(now)
        return math.inf

    def _kv_iteration_limit(self, decodes: list[Request], limit: int) -> int:
        """Largest k <= limit such that k iterations of these decodes fit in the free blocks."""
        size = self.kv.block_size
        free = self.kv.num_free_blocks
        # Tokens each request can still add into blocks it already holds (after this step's token).
        slack = [r.num_kv_blocks * size - r.num_computed_tokens - 1 for r in decodes]

        def blocks_needed(k: int) -> int:
            extra = k - 1
            return sum(-(-(extra - s) // size) for s in slack if extra > s)

        if blocks_needed(limit) <= free:
            return limit
        low, high = 1, limit  # blocks_needed(1) == 0 <= free
        while low < high:
            mid = (low + high + 1) // 2
            if blocks_needed(mid) <= free:
                low = mid
            else:
                high = mid - 1
        return low
