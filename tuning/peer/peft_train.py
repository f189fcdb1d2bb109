"""The peer of `deskhand bench tune`: LoRA training of the same GGUF model
on the same token batches with PyTorch + PEFT, on the same number of
threads; prints nothing, writes tokens per second to OUT_JSON.

usage: peft_train.py MODEL.gguf BATCHES_JSON OUT_JSON

BATCHES_JSON: {"batches": [[{"tokens": [...], "trained": [...]}, ...], ...],
"rank", "alpha", "dropout", "learning_rate", "threads", "targets"}. The
first batch warms up and is not timed.
"""

import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_model  # noqa: E402


def main():
    model_path, batches_path, out_path = sys.argv[1:4]
    job = json.load(open(batches_path))
    torch.set_num_threads(job["threads"])
    torch.manual_seed(0)
    from peft import LoraConfig, get_peft_model

    model = hf_model.load(model_path)
    config = LoraConfig(
        r=job["rank"],
        lora_alpha=job["alpha"],
        lora_dropout=job["dropout"],
        target_modules=job["targets"],
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, config)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=job["learning_rate"])
    losses, timed_tokens, timed_seconds = [], 0, 0.0
    for i, batch in enumerate(job["batches"]):
        width = max(len(e["tokens"]) for e in batch)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        for row, e in enumerate(batch):
            n = len(e["tokens"])
            ids[row, :n] = torch.tensor(e["tokens"])
            mask[row, :n] = 1
            labels[row, :n] = torch.tensor([t if keep else -100 for t, keep in zip(e["tokens"], e["trained"])])
        started = time.perf_counter()
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        elapsed = time.perf_counter() - started
        losses.append(loss.item())
        if i > 0:
            timed_seconds += elapsed
            timed_tokens += int(mask.sum())
    json.dump(
        {
            "tokens_per_second": timed_tokens / max(timed_seconds, 1e-9),
            "tokens": timed_tokens,
            "seconds": timed_seconds,
            "losses": losses,
            "torch": torch.__version__,
        },
        open(out_path, "w"),
    )


if __name__ == "__main__":
    main()
