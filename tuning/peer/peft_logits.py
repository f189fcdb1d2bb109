"""Logits of a GGUF llama/Qwen model with a LoRA adapter, computed by
Hugging Face transformers + PEFT: the reference deskhand's adapters are
checked against (host/tests/peft_interop.rs).

usage: peft_logits.py MODEL.gguf ADAPTER_DIR TOKENS_JSON OUT_JSON
"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_model  # noqa: E402


def main():
    model_path, adapter_dir, tokens_path, out_path = sys.argv[1:5]
    model = hf_model.load(model_path)
    tokens = json.load(open(tokens_path))
    ids = torch.tensor([tokens])
    out = {}
    with torch.no_grad():
        out["base"] = model(ids).logits[0].tolist()
        if adapter_dir != "-":
            from peft import PeftModel
            model = PeftModel.from_pretrained(model, adapter_dir).eval()
            out["adapted"] = model(ids).logits[0].tolist()
    json.dump(out, open(out_path, "w"))


if __name__ == "__main__":
    main()
