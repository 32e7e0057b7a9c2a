"""PyTorch reference of bench/engine: the same expert, weights, batches and step count as ELM's engine.

Reads the safetensors file EngineBench writes (frozen weights under const/, the adapters' initial
values under param/, the batches' placeholders under train/<b>/ and score/<b>/, ELM's own scores and
losses under expected/), rebuilds the model from those tensors alone, checks that it computes the
same scores and the same loss at every training step, and times the same work with the same number
of threads. Prints progress lines, then one JSON object with its timings and the parity figures.
Needs Debian's python3-torch; nothing else.
"""
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {entry['dtype']}, expected F32")
        start, end = entry["data_offsets"]
        array = np.frombuffer(data, dtype="<f4", count=(end - start) // 4, offset=start)
        tensors[name] = torch.from_numpy(array.reshape(entry["shape"]).copy())
    return tensors, meta


class Expert:
    """The frozen base (top encoder layers + decoder) with whatever adapters the tensors name."""

    def __init__(self, const, params, meta):
        self.w = dict(const)
        self.params = params
        self.w.update(params)
        self.lora_scale = meta["loraAlpha"] / meta["loraRank"]
        self.encoder_heads = meta["encoderHeads"]
        self.decoder_heads = meta["decoderHeads"]
        self.encoder_from = meta["encoderFrom"]
        self.table = self.w["decoder.embeddings"]
        self.decoder_layers = len({k.split(".")[2] for k in self.w if k.startswith("decoder.layer.")})

    def project(self, rows, name):
        """x·W + b, with the LoRA update where the tensors hold one."""
        out = rows @ self.w[name + ".weight"]
        if name + ".lora_a" in self.w:
            out = out + (rows @ self.w[name + ".lora_a"]) @ self.w[name + ".lora_b"] * self.lora_scale
        return out + self.w[name + ".bias"]

    def adapted(self, rows, prefix):
        """A sublayer's output rows through its Houlsby adapter, where the tensors hold one."""
        name = prefix + ".adapter"
        if name + ".down.weight" not in self.w:
            return rows
        hidden = F.gelu(rows @ self.w[name + ".down.weight"] + self.w[name + ".down.bias"])
        return rows + hidden @ self.w[name + ".up.weight"] + self.w[name + ".up.bias"]

    @staticmethod
    def attend(q, k, v, bias, heads):
        b, t, d = q.shape
        s = k.shape[1]
        q = q.view(b, t, heads, d // heads).transpose(1, 2)
        k = k.view(b, s, heads, d // heads).transpose(1, 2)
        v = v.view(b, s, heads, d // heads).transpose(1, 2)
        scores = q @ k.transpose(2, 3) / math.sqrt(d // heads) + bias
        return (torch.softmax(scores, dim=3) @ v).transpose(1, 2).reshape(b * t, d)

    def encoder_top(self, x, key_bias):
        """Post-layer-norm BERT blocks from encoderFrom to 5 (LoRA on query and value)."""
        b, s, d = x.shape
        for layer in range(self.encoder_from, 6):
            p = f"encoder.layer.{layer}."
            rows = x.reshape(-1, d)
            q = self.project(rows, p + "attention.self.query").view(b, s, d)
            k = self.project(rows, p + "attention.self.key").view(b, s, d)
            v = self.project(rows, p + "attention.self.value").view(b, s, d)
            context = self.attend(q, k, v, key_bias, self.encoder_heads)
            attended = self.project(context, p + "attention.output.dense").view(b, s, d)
            x = F.layer_norm(x + attended, (d,), self.w[p + "attention.output.LayerNorm.weight"],
                             self.w[p + "attention.output.LayerNorm.bias"], 1e-12)
            hidden = F.gelu(self.project(x.reshape(-1, d), p + "intermediate.dense"))
            out = self.project(hidden, p + "output.dense").view(b, s, d)
            x = F.layer_norm(x + out, (d,), self.w[p + "output.LayerNorm.weight"], self.w[p + "output.LayerNorm.bias"], 1e-12)
        return x

    def norm(self, x, name):
        return F.layer_norm(x, (x.shape[-1],), self.w[name + ".weight"], self.w[name + ".bias"], 1e-5)

    def attention(self, x, keys, bias, prefix, fanout=1):
        """Attention of rows x [R, T, D] over keys [I, S, D], each input serving fanout consecutive rows:
        keys and values are projected once per input, then broadcast to its rows (as ELM does)."""
        b, t, d = x.shape
        inputs, s, _ = keys.shape
        q = self.project(x.reshape(-1, d), prefix + ".query").view(b, t, d)
        k = self.project(keys.reshape(-1, d), prefix + ".key").view(inputs, 1, s, d).expand(inputs, fanout, s, d)
        v = self.project(keys.reshape(-1, d), prefix + ".value").view(inputs, 1, s, d).expand(inputs, fanout, s, d)
        context = self.attend(q, k.reshape(b, s, d), v.reshape(b, s, d), bias, self.decoder_heads)
        return self.adapted(self.project(context, prefix + ".output"), prefix).view(b, t, d)

    def sequence_logprobs(self, p):
        """Token log-probabilities [rows, T] of the batch's targets (masked) and their sums."""
        fanout = p["fanout"].shape[1]
        memory = self.encoder_top(p["memory"], p["memory_bias"])
        inputs, s, d = memory.shape
        memory_bias = p["memory_bias"].unsqueeze(1).expand(inputs, fanout, 1, 1, s).reshape(-1, 1, 1, s)
        x = self.table[p["decoder_input"].long()] + p["positions"]
        rows, t, _ = x.shape
        for layer in range(self.decoder_layers):
            pre = f"decoder.layer.{layer}"
            normed = self.norm(x, pre + ".self.norm")
            x = x + self.attention(normed, normed, p["causal"], pre + ".self")
            x = x + self.attention(self.norm(x, pre + ".cross.norm"), memory, memory_bias, pre + ".cross", fanout)
            hidden = F.gelu(self.project(self.norm(x, pre + ".ffn.norm").reshape(-1, d), pre + ".ffn.in"))
            x = x + self.adapted(self.project(hidden, pre + ".ffn.out"), pre + ".ffn").view(rows, t, d)
        x = self.norm(x, "decoder.final.norm")
        log_probs = torch.log_softmax(x.reshape(-1, d) @ self.table.t(), dim=1).view(rows, t, -1)
        picked = log_probs.gather(2, p["targets"].long().unsqueeze(2)).squeeze(2)
        token = picked * p["target_mask"]
        return token, token.sum(1)

    def loss(self, p):
        """LM loss over the gold rows plus the rank-classification loss over the choices: weighted sums whose
        weights carry the normalisers (lm_row_weight 1 / the gold answers' tokens, gold_mask 1 / the inputs)."""
        token, sums = self.sequence_logprobs(p)
        lm = -(token * p["lm_row_weight"].unsqueeze(1)).sum()
        per_input = sums.view(p["gold_mask"].shape)
        rank = -(torch.log_softmax(per_input, dim=1) * p["gold_mask"]).sum()
        return lm + rank


def blas_library():
    """The BLAS the process loaded: Debian's torch uses whichever libblas.so.3 the alternatives system names."""
    with open("/proc/self/maps") as maps:
        names = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(names)) or "none found"


def batches(tensors, kind, count):
    out = []
    for b in range(count):
        prefix = f"{kind}/{b}/"
        out.append({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
    return out


def learning_rate(meta, step):
    """ELM's schedule (train/AdamW.learningRate): linear warm-up, then linear decay to zero."""
    lr, warm, total = meta["learningRate"], meta["warmupSteps"], meta["steps"]
    if step < warm:
        return lr * (step + 1) / warm
    return lr if total == warm else lr * max(0, total - step) / (total - warm)


def main():
    tensors, metadata = read_safetensors(sys.argv[1])
    meta = json.loads(metadata["bench"])
    torch.set_num_threads(meta["threads"])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS: {blas_library()}")
    const = {k[len("const/"):]: v for k, v in tensors.items() if k.startswith("const/")}
    params = {k[len("param/"):]: v.clone().requires_grad_(True) for k, v in tensors.items() if k.startswith("param/")}
    model = Expert(const, params, meta)
    train = batches(tensors, "train", meta["trainBatches"])
    score = batches(tensors, "score", meta["scoreBatches"])

    with torch.inference_mode():
        for _ in range(meta["warmUp"]):
            for p in score:
                model.sequence_logprobs(p)
        start = time.perf_counter()
        sums = [model.sequence_logprobs(p)[1] for p in score]
        for _ in range(meta["scoreRounds"] - 1):
            for p in score:
                model.sequence_logprobs(p)
        score_seconds = (time.perf_counter() - start) / meta["scoreRounds"]
    score_diff = max(float((s - tensors[f"expected/score/{b}"]).abs().max()) for b, s in enumerate(sums))

    # The first batch's gradients against ELM's, relative to each tensor's largest (tensors whose gradient
    # is zero at the start, such as a Houlsby down-projection under its zero up-projection, are skipped).
    model.loss(train[0]).backward()
    gradient_diff, worst = 0.0, ""
    for name, param in params.items():
        expected = tensors["expected/gradient/" + name]
        scale = float(expected.abs().max())
        if scale > 0:
            diff = float((param.grad - expected).abs().max()) / scale
            if diff > gradient_diff:
                gradient_diff, worst = diff, name
        param.grad = None
    print(f"first-step gradients: largest relative difference {gradient_diff:.2e} ({worst})")

    optimiser = torch.optim.AdamW(list(params.values()), lr=meta["learningRate"], betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=0.0)
    losses = []
    train_seconds = 0.0
    for step in range(meta["steps"]):
        start = time.perf_counter()
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(meta, step)
        optimiser.zero_grad(set_to_none=True)
        loss = model.loss(train[step % len(train)])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), meta["clipNorm"])
        optimiser.step()
        losses.append(float(loss))
        if step >= meta["warmUp"]:
            train_seconds += time.perf_counter() - start
    expected = tensors["expected/losses"]
    loss_diff = float((torch.tensor(losses) - expected).abs().max())
    print(f"{len(params)} adapter tensors, {sum(v.numel() for v in params.values())} trainable values; "
          f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    print(json.dumps({"torch": torch.__version__, "trainSeconds": train_seconds, "scoreSeconds": score_seconds,
                      "scoreDiff": score_diff, "lossDiff": loss_diff,
                      "gradientDiff": gradient_diff}))


if __name__ == "__main__":
    main()
