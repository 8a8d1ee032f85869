"""Urgency from a local causal LM: prompt with the level definitions, score each answer's log-probability."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from inference.levels import LEVELS
from inference.triage.base import Triage, validate_call_text

if TYPE_CHECKING:
    import torch
    from transformers import DynamicCache, PreTrainedTokenizerBase

ANSWER_PREFIX = "Level"
"""Ends the prompt, so every candidate answer is just the level number that follows it."""
ANSWERS = tuple(f" {level.value}" for level in LEVELS)
"""The scored continuations, in level order (SmolLM2 reads " 0" as "Ġ" then "0", as in running text)."""

SYSTEM_INSTRUCTIONS = (
    "You are an emergency medical dispatcher. Rate the urgency of each call on this scale, "
    "where 0 is the most urgent:\n"
    + "\n".join(f"Level {level.value} ({level.name}): {level.definition}" for level in LEVELS)
    + "\nAnswer with the level number only."
)


def user_message(text: str) -> str:
    return f'Call transcript:\n"""{text}"""\nWhat is the urgency level of this call (0-4)?'


def build_prompt(tokenizer: PreTrainedTokenizerBase, text: str) -> str:
    """The prompt whose continuation is scored; the chat template when the model has one, so an
    instruction model sees the format it was tuned on."""
    if tokenizer.chat_template:
        messages = [{"role": "system", "content": SYSTEM_INSTRUCTIONS},
                    {"role": "user", "content": user_message(text)}]
        chat = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return f"{chat}{ANSWER_PREFIX}"
    return f"{SYSTEM_INSTRUCTIONS}\n\n{user_message(text)}\nAnswer: {ANSWER_PREFIX}"


def tokenize_prompt(tokenizer: PreTrainedTokenizerBase, prompt: str) -> list[int]:
    """Token ids of a prompt; a chat-templated prompt already carries its special tokens."""
    return tokenizer(prompt, add_special_tokens=not tokenizer.chat_template).input_ids


def split_answers(tokenizer: PreTrainedTokenizerBase, answers: Sequence[str]) -> tuple[list[int], list[int]]:
    """(shared head tokens, one final token per answer).

    Answers that differ only in their last token are scored in the same forward pass as the
    prompt: the head joins the prompt and the final tokens are read off one next-token
    distribution. Number answers tokenise this way in every tokenizer we know of.
    """
    token_lists = [tokenizer(answer, add_special_tokens=False).input_ids for answer in answers]
    head = token_lists[0][:-1]
    last_tokens = [tokens[-1] for tokens in token_lists]
    if any(tokens[:-1] != head for tokens in token_lists) or len(set(last_tokens)) != len(answers):
        raise ValueError(f"answers must differ only in their last token; this tokenizer gives {token_lists}")
    return head, last_tokens


def _priority(probabilities: Sequence[float]) -> int:
    """The shared safety rule; argmax until ``inference.triage.safety`` lands (it is being written)."""
    try:
        from inference.triage.safety import apply_safety_rule
    except ModuleNotFoundError as error:
        if error.name != "inference.triage.safety":
            raise
        warnings.warn("inference.triage.safety missing: acting on the argmax level", stacklevel=2)
        return max(range(len(probabilities)), key=probabilities.__getitem__)
    return apply_safety_rule(probabilities)


class PromptedLMClassifier:
    """Zero-shot triage by any instruction LM; never parses generated text, so it always yields a level.

    The instructions (about 80% of each prompt) are the same for every call, so their KV cache is
    computed once and each call pays only for its transcript.
    """

    answers: tuple[str, ...] = ANSWERS

    def __init__(self, model_dir: Path | str, *, device: str | None = None, batch_size: int = 8) -> None:
        from inference.model_store import load_causal_lm

        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model_dir = Path(model_dir)
        self.name = f"prompted:{self.model_dir.name}"
        self.batch_size = batch_size
        self.model, self.tokenizer = load_causal_lm(self.model_dir, device=device)
        self._head, self._answer_ids = split_answers(self.tokenizer, self.answers)
        # Padding is masked out, so any id does; a tokenizer without a pad token still has eos.
        self._pad_id = next((i for i in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id)
                             if i is not None), 0)
        self._prefix_ids = self._shared_prefix_ids()
        self._prefix_kv = self._encode_prefix()

    def classify(self, texts: Sequence[str]) -> list[Triage]:
        triages = []
        for scores in self.label_log_probs(texts):
            probabilities = _softmax(scores)
            triages.append(Triage(priority=_priority(probabilities), probabilities=probabilities,
                                  classifier=self.name))
        return triages

    def input_ids(self, text: str) -> list[int]:
        """The tokens an answer continues: prompt plus the answers' shared head (e.g. "Ġ")."""
        prompt = build_prompt(self.tokenizer, validate_call_text(text))
        return tokenize_prompt(self.tokenizer, prompt) + self._head

    def label_log_probs(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """Per text, log P(answer | prompt) for each level 0..4, summed over the answer's tokens.

        All texts are validated before any is scored; batches group texts of similar length,
        which wastes least compute on padding.
        """
        sequences = [self.input_ids(text) for text in texts]
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        scores: list[tuple[float, ...]] = [()] * len(sequences)
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            for i, row in zip(batch, self._score_batch([sequences[i] for i in batch]).tolist()):
                scores[i] = tuple(row)
        return scores

    def _shared_prefix_ids(self) -> list[int]:
        """The tokens every prompt starts with, found as the common prefix of two unlike prompts."""
        first, second = (tokenize_prompt(self.tokenizer, build_prompt(self.tokenizer, text))
                         for text in ("a", "Z 9"))
        return first[:_common_prefix_len(first, second)]

    def _encode_prefix(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer (keys, values) of the shared prefix, batch size 1."""
        import torch

        if not self._prefix_ids:
            return []
        ids = torch.tensor([self._prefix_ids], device=self.model.device)
        with torch.inference_mode():
            cache = self.model(input_ids=ids, use_cache=True, logits_to_keep=1).past_key_values
        return [(layer.keys, layer.values) for layer in cache.layers]

    def _prefix_cache(self, length: int, batch_size: int) -> DynamicCache | None:
        """A fresh cache holding the first ``length`` prefix tokens for each of ``batch_size`` rows
        (fresh because the forward pass appends to it)."""
        from transformers import DynamicCache

        if length == 0:
            return None
        cache = DynamicCache(config=self.model.config)
        for layer, (keys, values) in enumerate(self._prefix_kv):
            cache.update(keys[:, :, :length].expand(batch_size, -1, -1, -1).contiguous(),
                         values[:, :, :length].expand(batch_size, -1, -1, -1).contiguous(), layer)
        return cache

    def _score_batch(self, sequences: list[list[int]]) -> torch.Tensor:
        """(batch, 5) answer log-probs from one forward pass over the sequences after the shared prefix."""
        import torch

        num_scored = len(self._head) + 1
        # The positions whose logits are read (the head's and the last) must be run, not cached.
        prefix_len = max(0, min(min(_common_prefix_len(seq, self._prefix_ids), len(seq) - num_scored)
                                for seq in sequences))
        suffixes = [seq[prefix_len:] for seq in sequences]
        suffix_ids, suffix_mask = _left_pad(suffixes, self._pad_id, self.model.device)
        batch_size = len(sequences)
        mask = torch.cat([torch.ones((batch_size, prefix_len), dtype=torch.long, device=self.model.device),
                          suffix_mask], dim=1)
        positions = prefix_len + (suffix_mask.cumsum(dim=1) - 1).clamp(min=0)  # real tokens only
        with torch.inference_mode():
            logits = self.model(input_ids=suffix_ids, attention_mask=mask, position_ids=positions,
                                past_key_values=self._prefix_cache(prefix_len, batch_size),
                                use_cache=prefix_len > 0, logits_to_keep=num_scored).logits
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        scores = log_probs[:, -1, self._answer_ids]
        if self._head:  # the head's own log-prob is the same for every answer but belongs in the sum
            head = torch.tensor(self._head, device=log_probs.device).expand(batch_size, -1)
            scores = scores + log_probs[:, :-1].gather(-1, head[..., None]).sum(dim=(1, 2))[:, None]
        return scores


def _common_prefix_len(first: Sequence[int], second: Sequence[int]) -> int:
    length = 0
    for a, b in zip(first, second):
        if a != b:
            break
        length += 1
    return length


def _left_pad(rows: list[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Left padding puts every row's last token in the final column, where the answer is read."""
    import torch

    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, width - len(row):] = torch.tensor(row)
        mask[i, width - len(row):] = 1
    return ids.to(device), mask.to(device)


def _softmax(scores: Sequence[float]) -> tuple[float, ...]:
    top = max(scores)
    weights = [math.exp(score - top) for score in scores]
    total = sum(weights)
    return tuple(weight / total for weight in weights)
