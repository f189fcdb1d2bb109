"""A GGUF llama or Qwen 2 model as a Hugging Face transformers model: the
reference that deskhand's training and adapters are checked and raced
against. Tensors are read with the `gguf` package and dequantised to f32;
llama's query/key rows are un-permuted back to Hugging Face's order (the
inverse of llama.cpp's convert_hf_to_gguf.py).
"""

import sys

import numpy as np
import torch
from gguf import GGUFReader
from gguf.quants import dequantize


def field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    value = f.parts[f.data[0]]
    if value.dtype == np.uint8:
        return bytes(value).decode()
    return value.tolist()[0]


def unpermute(w, heads):
    # llama.cpp: w.reshape(heads, 2, d/2, cols).swapaxes(1, 2).reshape(shape)
    rows = w.shape[0]
    return w.reshape(heads, rows // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def load(model_path):
    """The model at `model_path` (GGUF) as a float32 transformers model, in eval mode."""
    reader = GGUFReader(model_path)
    arch = field(reader, "general.architecture")
    key = lambda k: f"{arch}.{k}"
    hidden = field(reader, key("embedding_length"))
    heads = field(reader, key("attention.head_count"))
    kv_heads = field(reader, key("attention.head_count_kv"), heads)
    head_dim = field(reader, key("attention.key_length"), hidden // heads)
    tensors = {}
    for t in reader.tensors:
        shape = [int(x) for x in reversed(t.shape.tolist())]
        values = dequantize(t.data, t.tensor_type).reshape(shape).astype(np.float32)
        tensors[t.name] = values
    vocab = tensors["token_embd.weight"].shape[0]
    common = dict(
        hidden_size=hidden,
        intermediate_size=field(reader, key("feed_forward_length")),
        num_hidden_layers=field(reader, key("block_count")),
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        head_dim=head_dim,
        rms_norm_eps=field(reader, key("attention.layer_norm_rms_epsilon"), 1e-6),
        vocab_size=vocab,
        max_position_embeddings=field(reader, key("context_length"), 2048),
        tie_word_embeddings="output.weight" not in tensors,
        rope_theta=field(reader, key("rope.freq_base"), 10000.0),
        rope_parameters={"rope_type": "default", "rope_theta": field(reader, key("rope.freq_base"), 10000.0)},
        torch_dtype=torch.float32,
    )
    if arch == "llama":
        from transformers import LlamaConfig as Config, LlamaForCausalLM as Model
        config = Config(attention_bias=False, mlp_bias=False, **common)
    elif arch == "qwen2":
        from transformers import Qwen2Config as Config, Qwen2ForCausalLM as Model
        config = Config(**common)
    else:
        sys.exit(f"no reference for {arch}")
    names = {
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
    }
    state = {"model.embed_tokens.weight": tensors["token_embd.weight"], "model.norm.weight": tensors["output_norm.weight"]}
    if "output.weight" in tensors:
        state["lm_head.weight"] = tensors["output.weight"]
    for name, values in tensors.items():
        if not name.startswith("blk."):
            continue
        _, layer, part, kind = name.split(".")
        if arch == "llama" and part == "attn_q" and kind == "weight":
            values = unpermute(values, heads)
        if arch == "llama" and part == "attn_k" and kind == "weight":
            values = unpermute(values, kv_heads)
        state[f"model.layers.{layer}.{names[part]}.{kind}"] = values
    torch.manual_seed(0)
    model = Model(config).float().eval()
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=False)
    missing = [m for m in missing if not (m == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        sys.exit(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    if config.tie_word_embeddings:
        model.tie_weights()
    return model
