"""The packaged MiniLM encoder as an ONNX graph run by onnxruntime, so a query costs no torch import.

Importing torch and sentence-transformers takes 4-6 s of a cold `assistant search`; onnxruntime and
the Rust tokenizer take well under one. The graph is exported once from the torch model (at the first
ingest or the first use, under a file lock) and kept under the models folder of the data dir, named by
the model package's version and weights size, so a new package version gets a new export. It computes
the same thing as sentence-transformers for this model: BERT, mean pooling over real tokens, L2
normalisation (tests compare the two to 1e-5). torch stays the fallback and the encoder for any
other model a user configures.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEncoder:
    """Tokenizer (tokenizers) + the exported graph (onnxruntime): texts -> normalised float32 vectors."""

    def __init__(self, graph: Path, model_dir: Path, *, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json pads every text to 128 and cuts at 128; sentence-transformers pads a batch to
        # its longest text and cuts at the model's max_seq_length. Do the same.
        self.tokenizer.enable_truncation(max_length=_max_seq_length(model_dir))
        pad = self.tokenizer.padding or {}
        self.tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Spinning threads compete with llama.cpp for the cores (see embedding.threads).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        # Longest first, as sentence-transformers does: texts of similar length share a batch, so
        # little of each batch is padding.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = []
        for begin in range(0, len(order), batch_size):
            enc = self.tokenizer.encode_batch([texts[i] for i in order[begin : begin + batch_size]])
            feed = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
            }
            out.append(self.session.run(None, feed)[0])
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        vectors[order] = np.concatenate(out)
        return vectors


def _max_seq_length(model_dir: Path) -> int:
    config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(config["max_seq_length"])


def export(model_dir: Path, graph: Path) -> Path:
    """Write the ONNX graph for the model in `model_dir` to `graph` (once; safe across processes).
    Needs torch, transformers and the `onnx` package; the caller falls back to torch if this fails."""
    graph.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{graph}.lock"):
        if graph.is_file():
            return graph
        tmp = graph.with_name(f"{graph.name}.{os.getpid()}.tmp")
        try:
            _export(model_dir, tmp)
            os.replace(tmp, graph)
        finally:
            tmp.unlink(missing_ok=True)
    return graph


def _export(model_dir: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    class MeanPooled(torch.nn.Module):
        """BERT, then the mean of the token vectors where attention_mask is 1, L2-normalised."""

        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            weights = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
            mean = (out.last_hidden_state * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    # Eager attention: the SDPA path decides on the mask's values while tracing, which would bake
    # "no padding" into the graph.
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    # Traced on a padded batch, so the masking of padding is part of the graph.
    ids = torch.tensor([[101, 2054, 2003, 102, 0, 0], [101, 2054, 2003, 4338, 2944, 102]])
    mask = (ids != 0).long()
    dynamic = {name: {0: "batch", 1: "tokens"} for name in INPUTS} | {"embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer's notes on shape arithmetic and index ops do not apply to this model (the
        # comparison with sentence-transformers in the tests is what checks the graph).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            MeanPooled(bert),
            (ids, mask, torch.zeros_like(ids)),
            str(target),
            input_names=list(INPUTS),
            output_names=["embedding"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
