#!/usr/bin/env python3
"""Write a GGUF model file with random weights from one of rooflab's model presets (no download, no tokenizer).

The preset (resources/models/<name>.yaml) holds the keys of the model's Hugging Face config.json; the file gets the
same tensor shapes as llama.cpp's converter writes for that architecture (llama: Llama 3.x; qwen2: Qwen2.5 with q/k/v
biases), bf16 weights (norms in fp32) drawn from one shared pool of N(0, 0.02) values, and a tokenizer of kind
"none" with the model's vocabulary size (llama.cpp adds that many dummy tokens; llama-bench feeds random token ids,
so nothing is ever tokenized). `llama-quantize` then turns the file into q4_k, q8_0, ...; the values of the weights
do not change the speed of any kernel, only their format and shapes do.

Usage: gguf_random.py --preset resources/models/llama-3.2-1b.yaml --out model-bf16.gguf --gguf-py DIR
"""
import argparse
import sys

import numpy as np


def load_preset(path):
    try:
        import yaml
    except ImportError:  # the device machine has PyYAML (transformers needs it); a plain parser is enough otherwise
        yaml = None
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if yaml is not None:
        return yaml.safe_load(text)
    cfg = {}
    for line in text.splitlines():
        if not line or line[0] in " #" or ":" not in line:
            continue
        k, v = line.split(":", 1)
        v = v.split("#", 1)[0].strip().strip('"')
        try:
            cfg[k.strip()] = int(v)
        except ValueError:
            try:
                cfg[k.strip()] = float(v)
            except ValueError:
                cfg[k.strip()] = {"true": True, "false": False}.get(v, v)
    return cfg


class Pool:
    """bf16 bit patterns of N(0, 0.02) values; tensors are views of it (no per-tensor copy, no per-tensor RNG)."""

    def __init__(self, elements, seed=0):
        rng = np.random.default_rng(seed)
        block = (rng.standard_normal(1 << 22, dtype=np.float32) * 0.02).view(np.uint32) >> 16
        reps = -(-elements // block.size)
        self.bits = np.tile(block.astype(np.uint16), reps)[:elements]

    def take(self, rows, cols):
        n = rows * cols
        if n > self.bits.size:
            raise ValueError(f"pool of {self.bits.size} values is smaller than a {rows}x{cols} tensor")
        return self.bits[:n].reshape(rows, cols)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--gguf-py", required=True, help="llama.cpp's gguf-py folder")
    ap.add_argument("--layers", type=int, default=0, help="override num_hidden_layers (0: the preset's)")
    ap.add_argument("--tiny", action="store_true",
                    help="a framework-floor model of the preset's layout: hidden 256, ffn 512, 4 heads of 64, vocab 512")
    a = ap.parse_args()
    sys.path.insert(0, a.gguf_py)
    import gguf  # noqa: E402

    c = load_preset(a.preset)
    if a.tiny:
        c.update(hidden_size=256, intermediate_size=512, num_attention_heads=4, num_key_value_heads=4, head_dim=64,
                 vocab_size=512, tie_word_embeddings=True, name="tiny")
    model_type = c.get("model_type", "llama")
    arch = {"llama": "llama", "qwen2": "qwen2"}.get(model_type)
    if arch is None:
        raise SystemExit(f"{a.preset}: model_type {model_type!r}: only llama and qwen2 layouts are written")
    d = int(c["hidden_size"])
    ff = int(c["intermediate_size"])
    layers = a.layers or int(c["num_hidden_layers"])
    heads = int(c["num_attention_heads"])
    kv_heads = int(c.get("num_key_value_heads", heads))
    head_dim = int(c.get("head_dim") or d // heads)
    vocab = int(c["vocab_size"])
    tied = bool(c.get("tie_word_embeddings", False))

    w = gguf.GGUFWriter(a.out, arch)
    w.add_name(str(c.get("name", "random")) + "-random")
    w.add_context_length(int(c.get("max_position_embeddings", 4096)))
    w.add_embedding_length(d)
    w.add_block_count(layers)
    w.add_feed_forward_length(ff)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(float(c.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(c.get("rms_norm_eps", 1e-5)))
    w.add_vocab_size(vocab)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_BF16)
    w.add_tokenizer_model("none")

    bf16 = gguf.GGMLQuantizationType.BF16
    largest = max(vocab * d, ff * d, heads * head_dim * d)
    pool = Pool(largest)
    ones = np.ones(max(d, heads * head_dim), dtype=np.float32)

    def mat(name, rows, cols):  # rows = output features, cols = input features (HF's nn.Linear weight layout)
        w.add_tensor(name, pool.take(rows, cols), raw_shape=(rows, cols), raw_dtype=bf16)

    mat("token_embd.weight", vocab, d)
    for i in range(layers):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", ones[:d])
        mat(p + "attn_q.weight", heads * head_dim, d)
        mat(p + "attn_k.weight", kv_heads * head_dim, d)
        mat(p + "attn_v.weight", kv_heads * head_dim, d)
        if arch == "qwen2":
            w.add_tensor(p + "attn_q.bias", np.zeros(heads * head_dim, dtype=np.float32))
            w.add_tensor(p + "attn_k.bias", np.zeros(kv_heads * head_dim, dtype=np.float32))
            w.add_tensor(p + "attn_v.bias", np.zeros(kv_heads * head_dim, dtype=np.float32))
        mat(p + "attn_output.weight", d, heads * head_dim)
        w.add_tensor(p + "ffn_norm.weight", ones[:d])
        mat(p + "ffn_gate.weight", ff, d)
        mat(p + "ffn_up.weight", ff, d)
        mat(p + "ffn_down.weight", d, ff)
    w.add_tensor("output_norm.weight", ones[:d])
    if not tied:
        mat("output.weight", vocab, d)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{a.out}: {arch}, {layers} layers, d={d}, ff={ff}, heads={heads}/{kv_heads}x{head_dim}, vocab={vocab}, "
          f"tied={tied}")


if __name__ == "__main__":
    main()
