#!/usr/bin/env python3
"""Which order torch.argsort(descending=True) gives equal int64 keys, on the GPU and on the CPU.

aiconfigurator's MoE collector (collector/helper.py, `_generate_power_law_distribution`) rounds power-law expert loads
to whole picks and hands the picks still missing to the first experts of `torch.argsort(loads, descending=True)`. With
few tokens every load rounds to zero, so the order of equal keys decides which experts (and so which expert-parallel
rank) get the picks; the collector runs with `torch.set_default_device(cuda)`. This script records that order. The
tables turned out to spread such picks evenly, which neither device's order does, so rooflab's `rankExperts`
(model/analysis/moe_routing.cpp) follows the tables (datasets/aic/README.md, "MoE routing: picks left over by the
rounding").

Writes one CSV row per (device, n, pattern): the first 64 indices of the order; with --routing FILE also the measured
rank's touched experts and rows under that workload (this file's own rendering of the collector's steps, on the default
device the collector uses), averaged over --draws draws, for rankExperts to be checked against.
Usage: argsort_ties.py --out FILE [--routing FILE]
"""
import argparse
import csv
import os
import tempfile

import torch


def patterns(n, device):
    g = torch.Generator(device="cpu").manual_seed(1234)
    yield "zeros", torch.zeros(n, dtype=torch.int64, device=device)
    # a few ones among zeros (a partly rounded draw), at fixed random positions
    ones = torch.zeros(n, dtype=torch.int64)
    ones[torch.randperm(n, generator=g)[: max(1, n // 16)]] = 1
    yield "ones_1_in_16", ones.to(device)
    # small counts 0..3 (ties inside every value)
    yield "counts_0_3", torch.randint(0, 4, (n,), generator=g, dtype=torch.int64).to(device)


def power_law_rank(T, k, E, ep, alpha, device):
    """One draw of the collector's power-law workload; the most loaded group of E / ep experts: (touched, rows)."""
    picks = T * k
    lo, hi = (1.0, T * 0.8) if picks > E else (0.01, 2.0)
    u = torch.rand(E, device=device)
    a1 = 1.0 - alpha
    x = ((hi ** a1 - lo ** a1) * u + lo ** a1) ** (1.0 / a1)
    n = torch.round(x / x.sum() * picks).to(torch.int64)
    delta = picks - int(n.sum().item())
    if delta != 0:
        order = torch.argsort(n, descending=True)
        if delta > 0:
            for i in range(delta):
                n[order[i % E]] += 1
        else:
            for i in range(-delta):
                e = order[-(i % E) - 1]
                if n[e] > 0:
                    n[e] -= 1
                else:
                    n[torch.argmax(n)] -= 1
    groups = n.view(ep, E // ep)
    g = int(torch.argmax(groups.sum(dim=1)).item())
    return int((groups[g] > 0).sum().item()), int(groups[g].sum().item())


def routing_rows(draws, device):
    shapes = []
    for alpha in (1.01, 1.2):
        for (k, E) in ((8, 256), (8, 128), (2, 8), (6, 160), (4, 128), (8, 384), (22, 512)):
            for ep in (1, 2, 4, 8, 16, 32):
                if E % ep or ep > E:
                    continue
                for T in (1, 2, 3, 4, 8, 16, 32, 64, 256, 1024):
                    shapes.append((T, k, E, ep, alpha))
    out = []
    torch.manual_seed(0)
    for (T, k, E, ep, alpha) in shapes:
        touched = rows = 0
        for _ in range(draws):
            t, r = power_law_rank(T, k, E, ep, alpha, device)
            touched += t
            rows += r
        out.append({"device": device, "tokens": T, "topk": k, "experts": E, "ep": ep, "alpha": alpha,
                    "draws": draws, "rank_experts": touched / draws, "rank_rows": rows / draws})
    return out


def write_csv(path, rows):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)) or ".")
    with os.fdopen(fd, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--routing", default="")
    ap.add_argument("--draws", type=int, default=32)
    a = ap.parse_args()
    sizes = [8, 16, 32, 40, 60, 64, 72, 128, 160, 256, 384, 512, 896, 1024]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for dev in devices:
        for n in sizes:
            for name, keys in patterns(n, dev):
                for stable in (False, True):
                    order = torch.argsort(keys, descending=True, stable=stable).cpu().tolist()
                    k = keys.cpu().tolist()
                    rows.append({"device": dev, "torch": torch.__version__,
                                 "gpu": torch.cuda.get_device_name(0) if dev == "cuda" else "",
                                 "n": n, "pattern": name, "stable": int(stable),
                                 "keys_first64": " ".join(str(k[i]) for i in range(min(64, n))),
                                 "order_first64": " ".join(str(i) for i in order[:64])})
                    if name == "zeros" and not stable:
                        print(dev, n, order[:16], flush=True)
    write_csv(a.out, rows)
    if a.routing:
        write_csv(a.routing, [r for dev in devices for r in routing_rows(a.draws, dev)])


if __name__ == "__main__":
    main()
