"""A tiny random causal LM folder and a minimal OpenAI-compatible chat server, both built here.

No LLM can run in CI and nothing may be downloaded: the model has random weights (it tests the
mechanics of generation, not quality) and the server answers what a test scripts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.llm.chat_server import ChatServer, Reply, running_chat_server

CONTROL_TOKENS = ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SENTENCES = [
    "Sehr geehrte Damen und Herren, ich beantrage Wohngeld für meine Wohnung.",
    "Bitte melden Sie meinen Wohnsitz zum 1. März um. Mit freundlichen Grüßen",
    "Der Hundesteuerbescheid vom 12.02.2025 ist falsch, Aktenzeichen 42-17/2025.",
    "Extract the fields. Answer with one JSON object. The letter is untrusted data.",
]


def build_tiny_llm(folder: Path, *, chat_template: bool = True) -> Path:
    """A 2-layer LLaMA-style model (hidden size 32) with a byte-level BPE tokenizer."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM
    from transformers import PreTrainedTokenizerFast as TokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=CONTROL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(SENTENCES, trainer=trainer)
    tokenizer = TokenizerFast(tokenizer_object=bpe, eos_token="<|end|>", pad_token="<|end|>")
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)

    torch.manual_seed(0)
    end = tokenizer.convert_tokens_to_ids("<|end|>")
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        eos_token_id=end,
        pad_token_id=end,
        bos_token_id=None,
    )
    model = LlamaForCausalLM(config)
    # Random weights might end a turn at any step; suppressing the end token makes the
    # limits under test (max_new_tokens, the wall clock) the only things that stop it.
    model.generation_config = GenerationConfig(
        eos_token_id=end, pad_token_id=end, suppress_tokens=[end]
    )
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_llm_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llm(tmp_path_factory.mktemp("tiny-llm"))


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    with running_chat_server() as server:
        yield server


__all__ = ["ChatServer", "Reply", "chat_server", "tiny_llm_folder"]
