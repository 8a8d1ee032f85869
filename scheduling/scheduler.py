"""The iteration-level scheduler shared by the simulator and the real engine.

Each step, for every policy alike, within ``max_num_seqs`` requests,
``max_num_batched_tokens`` tokens and the KV cache:

0. displacement: while the best waiting request cannot be admitted and ranks
   before the worst running one (policies that allow it), preempt the worst;
1. decodes the policy wants first (all of them, except for SLAI);
2. running requests part-way through their prefill continue, best first (chunked);
3. waiting requests are admitted best first, until one does not fit (no skipping,
   so a large urgent request is not starved by small ones behind it);
4. the decodes the policy let wait get the leftover budget.

When the KV cache cannot hold the next token of every decode, the worst running
requests are preempted. A victim keeps its KV in host memory (swap) or loses it
(recompute), per the setting; ``auto`` picks the cheaper to restore.
"""

from __future__ import annotations

from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits, PrefillChunk, StepPlan
from scheduling.policies import Policy
from scheduling.request import Request, RequestStatus
from scheduling.step_time import StepTimeModel
from scheduling.waiting_queue import AgingWaitingQueue, Key


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
        self.waiting = policy.make_waiting_queue()
        self.running: list[Request] = []
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

    @property
    def has_work(self) -> bool:
        return bool(self.running) or len(self.waiting) > 0

    # -- one step -----------------------------------------------------------------

    def schedule(self, now: float) -> StepPlan:
        plan = StepPlan()
        preempted_ids: set[int] = set()
        decodes = [r for r in self.running if r.is_decoding]
        if self.policy.displaces_running and len(self.waiting):
            self._displace_for_waiting(now, plan, preempted_ids, decodes)
            decodes = [r for r in decodes if r.status is RequestStatus.RUNNING]
        decodes = self._make_room_for_decodes(decodes, plan, preempted_ids)
        first, later = self.policy.split_decodes(decodes, now, self.kv.num_used_blocks / self.kv.num_blocks)
        reserved = self._blocks_for_next_decode(later) if later else 0
        budget = self._schedule_decodes(first, plan, self.limits.max_num_batched_tokens)
        budget = self._continue_prefills(plan, budget, reserved)
        budget, blocked_by = self._admit_waiting(now, plan, budget, preempted_ids, reserved)
        self._schedule_decodes(later, plan, budget)
        while plan.is_empty and self.running:
            # Only partial prefills remain and the cache is too full for any: make room.
            self._preempt(self._worst_running(), plan, preempted_ids)
            self._continue_prefills(plan, self.limits.max_num_batched_tokens, 0)
        plan.is_steady = (not plan.prefills and not plan.preempted and not plan.swapped_in
                          and len(plan.decodes) == len(self.running) and bool(plan.decodes)
                          and self._admission_stays_blocked(blocked_by))
        return plan

    def update(self, plan: StepPlan, now: float, step_time_s: float, num_iterations: int = 1) -> list[Request]:
        """Apply a finished step (or ``num_iterations`` repeats of a steady one) at time ``now``.

        Returns the requests that finished.
        """
        if num_iterations > 1 and not plan.is_steady:
            raise ValueError("only a steady plan may be repeated")
        finished: list[Request] = []
        for request in plan.decodes:
            if num_iterations > 1:
                self.kv.allocate(request, num_iterations)
            request.num_computed_tokens += num_iterations
            request.num_output_tokens += num_iterations
            if request.num_output_tokens >= request.output_tokens:
                finished.append(request)
        for chunk in plan.prefills:
            request = chunk.request
            request.num_computed_tokens += chunk.num_new_tokens
            if request.num_computed_tokens == request.num_tokens:
                request.num_output_tokens += 1
                if request.first_token_time_s is None:
                    request.first_token_time_s = now
                if request.num_output_tokens >= request.output_tokens:
                    finished.append(request)
        if finished:
            for request in finished:
                request.status = RequestStatus.FINISHED
                request.finish_time_s = now
                self.kv.free(request)
            self.running = [r for r in self.running if r.status is RequestStatus.RUNNING]
            self._worst_key_bound = None
        self.policy.on_step_end(plan.decodes, now, step_time_s / num_iterations)
        return finished

    def max_steady_iterations(self, plan: StepPlan) -> int:
        """How often a steady plan can repeat before a request finishes or the cache fills."""
        until_finish = min(r.output_tokens - r.num_output_tokens for r in plan.decodes)
        if until_finish <= 1:
            return 1
        return self._kv_iteration_limit(plan.decodes, until_finish)

    # -- stages ---------------------------------------------------------------------

    def _displace_for_waiting(self, now: float, plan: StepPlan, preempted_ids: set[int],
                              decodes: list[Request]) -> None:
        reserved = self._blocks_for_next_decode(decodes)
        while True:
            candidate = self.waiting.peek(now)
            if candidate is None or candidate.request_id in preempted_ids:
                return
            if self._fits(candidate, self.limits.max_num_batched_tokens, reserved):
                return
            if not self._ranks_before_worst_running(candidate):
                return
            victim = self._worst_running()
            if victim.is_decoding and self._needs_block_for_next_token(victim):
                reserved -= 1
            self._preempt(victim, plan, preempted_ids)

    def _make_room_for_decodes(self, decodes: list[Request], plan: StepPlan,
                               preempted_ids: set[int]) -> list[Request]:
        needed = self._blocks_for_next_decode(decodes)
        if needed <= self.kv.num_free_blocks:
            return decodes
        while needed > self.kv.num_free_blocks:
            victim = self._worst_running()
            if victim.is_decoding and self._needs_block_for_next_token(victim):
                needed -= 1
            self._preempt(victim, plan, preempted_ids)
        return [r for r in decodes if r.status is RequestStatus.RUNNING]

    def _schedule_decodes(self, decodes: list[Request], plan: StepPlan, budget: int) -> int:
        if len(decodes) > budget:
            decodes = decodes[:budget]
        context = 0
        for request in decodes:
            self.kv.allocate(request, 1)
            context += request.num_computed_tokens + 1
        plan.decodes.extend(decodes)
        plan.decode_context_tokens += context
        return budget - len(decodes)

    def _continue_prefills(self, plan: StepPlan, budget: int, reserved_blocks: int) -> int:
        scheduled = {chunk.request.request_id for chunk in plan.prefills}
        partial = [r for r in self.running
                   if not r.is_decoding and r.request_id not in scheduled]
        partial.sort(key=self.policy.key)
        for request in partial:
            if budget <= 0:
                break
            free = self.kv.num_free_blocks - reserved_blocks
            room = (request.num_kv_blocks + free) * self.kv.block_size - request.num_computed_tokens
            num_tokens = min(request.num_uncomputed_tokens, budget, room)
            if num_tokens <= 0:
                continue
            self._add_prefill(request, num_tokens, plan)
            budget -= num_tokens
        return budget

    def _admit_waiting(self, now: float, plan: StepPlan, budget: int,
                       preempted_ids: set[int], reserved_blocks: int) -> tuple[int, str]:
        """Admit best-first; return the budget left and why admission stopped."""
        while True:
            candidate = self.waiting.peek(now)
            if candidate is None:
                return budget, "empty"
            if candidate.request_id in preempted_ids:
                return budget, "preempted"
            if len(self.running) >= self.limits.max_num_seqs:
                return budget, "seqs"
            if budget <= 0:
                return budget, "budget"
            if not self._fits(candidate, budget, reserved_blocks):
                return budget, "kv"
            self.waiting.pop(now)
            candidate.status = RequestStatus.RUNNING
            if candidate.first_scheduled_time_s is None:
                candidate.first_scheduled_time_s = now
            self.running.append(candidate)
            self._worst_key_bound = None
            if candidate.swapped_out:
                candidate.swapped_out = False
                plan.swapped_in.append(candidate)
                plan.num_swapped_in_tokens += candidate.num_computed_tokens
            if candidate.is_decoding:
                self.kv.allocate(candidate, 1)
                plan.decodes.append(candidate)
                plan.decode_context_tokens += candidate.num_computed_tokens + 1
                budget -= 1
            else:
                num_tokens = min(candidate.num_uncomputed_tokens, budget)
                self._add_prefill(candidate, num_tokens, plan)
                budget -= num_tokens

    # -- helpers --------------------------------------------------------------------

    def _add_prefill(self, request: Request, num_tokens: int, plan: StepPlan) -> None:
        self.kv.allocate(request, num_tokens)
        plan.prefills.append(PrefillChunk(request, num_tokens, request.num_computed_tokens))

    def _fits(self, request: Request, budget: int, reserved_blocks: int) -> bool:
        """Would ``request`` get a seat and the KV for its next chunk (after the reserve)?"""
        if len(self.running) >= self.limits.max_num_seqs:
            return False
        num_tokens = min(request.num_uncomputed_tokens, budget)
        needed = self.kv.num_blocks_needed(request, num_tokens)
        return needed + reserved_blocks <= self.kv.num_free_blocks

    def _needs_block_for_next_token(self, request: Request) -> bool:
        return request.num_computed_tokens + 1 > request.num_kv_blocks * self.kv.block_size

    def _blocks_for_next_decode(self, decodes: list[Request]) -> int:
        capacity = self.kv.block_size
        return sum(1 for r in decodes if r.num_computed_tokens + 1 > r.num_kv_blocks * capacity)

    def _ranks_before_worst_running(self, candidate: Request) -> bool:
        if not self.running:
            return False
        key = self.policy.key(candidate)
        if self._worst_key_bound is not None and not key < self._worst_key_bound:
            return False  # the true worst key is <= the bound, so candidate cannot beat it
        return key < self.policy.key(self._worst_running())

    def _worst_running(self) -> Request:
        worst = max(self.running, key=self.policy.key)
        self._worst_key_bound = self.policy.key(worst)
        return worst

    def _preempt(self, victim: Request, plan: StepPlan, preempted_ids: set[int]) -> None:
        self.running.remove(victim)
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
        """Will admission stay blocked while only decodes run? (Steady-plan test.)"""
        if blocked_by in ("empty", "seqs"):
            return True
        # More decoding only shrinks free KV, so a KV-blocked head stays blocked, unless
        # the head itself can change with time (aging).
        return blocked_by == "kv" and not isinstance(self.waiting, AgingWaitingQueue)

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
