"""A tiny random causal LM folder and a minimal OpenAI-compatible chat server, both built here.

No LLM can run in CI and nothing may be downloaded: the model has random weights (it tests the
mechanics of generation, not quality) and the server answers what a test scripts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

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


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    usage: dict[str, int] | None = field(
        default_factory=lambda: {"prompt_tokens": 11, "completion_tokens": 7}
    )
    hold: bool = False  # wait until the test releases the server (to provoke a timeout)


@dataclass
class ChatServer:
    url: str
    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def script(self, *contents: str) -> None:
        self.replies.extend(Reply(content) for content in contents)

    def user_prompts(self) -> list[str]:
        return [
            next(m["content"] for m in r["body"]["messages"] if m["role"] == "user")
            for r in self.requests
        ]


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            reply = server.replies.pop(0) if server.replies else Reply(status=500)
            if reply.hold:
                server.release.wait(timeout=10)
            payload: dict[str, Any] = {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": reply.content}}
                ],
            }
            if reply.usage is not None:
                payload["usage"] = reply.usage
            data = json.dumps(payload).encode() if reply.status == 200 else b'{"error":"x"}'
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (the timeout test) leaves a broken pipe behind; expected.
        return None


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    state = ChatServer(url="")
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
