"""A local causal LM folder run by transformers inside the worker process (greedy decoding)."""

from __future__ import annotations

import copy
import logging
import threading
import time
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    StoppingCriteria,
    StoppingCriteriaList,
)

from triage.llm.backends import CallSlots, Completion, LlmUnavailable, Message

log = logging.getLogger(__name__)


class WallClockLimit(StoppingCriteria):
    """Stops generation after ``seconds`` and remembers that it did, so the call can fail."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.fired = False

    def __call__(
        self, input_ids: torch.LongTensor, scores: torch.FloatTensor | None, **kwargs: Any
    ) -> torch.BoolTensor:
        if time.monotonic() - self.started >= self.seconds:
            self.fired = True
        return torch.full((input_ids.shape[0],), self.fired, dtype=torch.bool)  # type: ignore[return-value]


class TransformersBackend:
    """Loads the folder on the first call; at most ``concurrency`` generations run at once."""

    def __init__(self, model_path: str | Path, *, concurrency: int = 1) -> None:
        self.model_path = Path(model_path)
        self.slots = CallSlots(concurrency)
        self._load_lock = threading.Lock()
        self._tokenizer: Any = None
        self._model: PreTrainedModel | None = None

    @property
    def model_name(self) -> str:
        return f"transformers:{self.model_path.name}"

    def complete(
        self, messages: list[Message], *, max_new_tokens: int, timeout: float
    ) -> Completion:
        with self.slots.slot(timeout=timeout):
            tokenizer, model = self._loaded()
            started = time.monotonic()
            input_ids = self._encode(tokenizer, messages)
            limit = WallClockLimit(timeout)
            with torch.inference_mode():
                output = model.generate(  # type: ignore[operator]
                    input_ids=input_ids,
                    attention_mask=torch.ones_like(input_ids),
                    generation_config=self._greedy(model, tokenizer, max_new_tokens),
                    stopping_criteria=StoppingCriteriaList([limit]),
                )
            seconds = time.monotonic() - started
        if limit.fired:
            raise LlmUnavailable(f"generation exceeded the {timeout:g} s limit")
        generated = output[0, input_ids.shape[1] :]
        text = tokenizer.decode(generated, skip_special_tokens=True)
        return Completion(
            text=text.strip(),
            prompt_tokens=int(input_ids.shape[1]),
            completion_tokens=int(generated.shape[0]),
            seconds=seconds,
        )

    def close(self) -> None:
        self._model = None
        self._tokenizer = None

    def _loaded(self) -> tuple[Any, PreTrainedModel]:
        with self._load_lock:
            if self._model is None:
                if not self.model_path.is_dir():
                    raise LlmUnavailable(f"LLM folder {self.model_path} does not exist")
                log.info("loading the LLM from %s", self.model_path)
                self._tokenizer = AutoTokenizer.from_pretrained(self.model_path)
                # from_pretrained returns the model in eval mode (no dropout).
                self._model = AutoModelForCausalLM.from_pretrained(self.model_path, dtype="auto")
            return self._tokenizer, self._model

    @staticmethod
    def _encode(tokenizer: Any, messages: list[Message]) -> torch.Tensor:
        # Control tokens written inside a message (a letter containing "<|im_end|>") are
        # encoded as plain text, so the document cannot close its own turn.
        if tokenizer.chat_template:
            encoded = tokenizer.apply_chat_template(
                [message.to_json() for message in messages],
                add_generation_prompt=True,
                tokenize=True,
                return_dict=True,
                return_tensors="pt",
                sanitize_control_tokens=True,
            )
            return encoded["input_ids"]  # type: ignore[no-any-return]
        # Base models without a template get a plain transcript.
        transcript = "".join(f"{m.role.capitalize()}: {m.content}\n\n" for m in messages)
        encoded = tokenizer(
            transcript + "Assistant:", return_tensors="pt", split_special_tokens=True
        )
        return encoded["input_ids"]  # type: ignore[no-any-return]

    @staticmethod
    def _greedy(model: PreTrainedModel, tokenizer: Any, max_new_tokens: int) -> Any:
        # A copy of the model's own config keeps its end-of-turn tokens; the sampling knobs are
        # cleared so greedy decoding does not warn about them.
        config = copy.deepcopy(model.generation_config)
        config.do_sample = False
        config.temperature = None
        config.top_p = None
        config.top_k = None
        config.max_new_tokens = max_new_tokens
        config.max_length = None
        if config.pad_token_id is None:
            config.pad_token_id = (
                tokenizer.pad_token_id
                if tokenizer.pad_token_id is not None
                else tokenizer.eos_token_id
            )
        return config
