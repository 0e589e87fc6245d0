#!/usr/bin/env python3
"""The reference `webgan bench` compares itself with: the digits DCGAN in PyTorch.

Same layers, shapes and step as webgan's digits preset (src/presets.rs, src/model/,
src/train/trainer.rs): a conditional generator (z * embed(y), linear to 128x7x7, batch norm,
two 4x4 stride-2 transposed convolutions), a discriminator of two 4x4 stride-2 convolutions with
LeakyReLU, a linear head and a projection term, the non-saturating loss, Adam (0.5, 0.999), one
D update on real and fake in one pass, then one G update through the updated, frozen D, and the
generator's moving average (decay 0.999). Timing is the median of `--repeats` runs after a
warm-up, like `webgan bench`. Every timed run ends in a read-back to the host (the loss values,
a sum of the images), so on a GPU (`--device cuda`) the times include the wait for the GPU.

Optional: it needs torch (`pip install torch`), which the project does not install.
    python3 scripts/torch_reference.py --threads 2 --batch 64 256
    python3 scripts/torch_reference.py --device cuda --batch 64 256
Prints one line per batch size and a JSON line that `webgan bench --reference FILE` reads.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT, WIDTH, CLASSES, SIDE = 64, 64, 10, 28


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        c0 = 2 * WIDTH
        self.embed = nn.Embedding(CLASSES, LATENT)
        self.project = nn.Linear(LATENT, 7 * 7 * c0)
        self.project_norm = nn.BatchNorm2d(c0)
        self.up1 = nn.ConvTranspose2d(c0, WIDTH, 4, 2, 1)
        self.norm1 = nn.BatchNorm2d(WIDTH)
        self.up2 = nn.ConvTranspose2d(WIDTH, 1, 4, 2, 1)

    def forward(self, z, y):
        x = self.project(z * self.embed(y)).view(-1, 2 * WIDTH, 7, 7)
        x = F.relu(self.project_norm(x))
        x = F.relu(self.norm1(self.up1(x)))
        return torch.tanh(self.up2(x)).flatten(1)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.down1 = nn.Conv2d(1, WIDTH, 4, 2, 1)
        self.down2 = nn.Conv2d(WIDTH, 2 * WIDTH, 4, 2, 1)
        features = 2 * WIDTH * 7 * 7
        self.head = nn.Linear(features, 1)
        self.projection = nn.Embedding(CLASSES, features)

    def forward(self, x, y):
        h = x.view(-1, 1, SIDE, SIDE)
        h = F.leaky_relu(self.down1(h), 0.2)
        h = F.leaky_relu(self.down2(h), 0.2).flatten(1)
        return self.head(h).squeeze(1) + (self.projection(y) * h).sum(1)


def median_ms(f, repeats):
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1e3)
    return sorted(times)[len(times) // 2]


def bench(batch, repeats, device):
    g, d = Generator().to(device), Discriminator().to(device)
    ema = Generator().to(device)
    ema.load_state_dict(g.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, SIDE * SIDE, device=device) * 2 - 1
    labels = torch.arange(batch, device=device) % CLASSES

    def generate():
        with torch.no_grad():
            g(torch.randn(batch, LATENT, device=device), labels).sum().item()

    def iteration():
        fake = g(torch.randn(batch, LATENT, device=device), labels)
        logits = d(torch.cat([real, fake.detach()]), torch.cat([labels, labels]))
        d_loss = F.softplus(-logits[:batch]).mean() + F.softplus(logits[batch:]).mean()
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        for p in d.parameters():
            p.requires_grad_(False)
        g_loss = F.softplus(-d(fake, labels)).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        for p in d.parameters():
            p.requires_grad_(True)
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), g.parameters()):
                pe.lerp_(p, 1 - 0.999)
        # The statistics webgan's step returns, read back as it does.
        torch.stack([d_loss, g_loss]).detach().tolist()

    g.eval()
    forward = median_ms(generate, repeats)
    g.train()
    step = median_ms(iteration, repeats)
    return forward, step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda for an NVIDIA GPU")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    name = f"torch {torch.__version__}" + ("" if device.type == "cpu" else f" {device.type}")
    result = {"backend": name, "threads": args.threads}
    if device.type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(device)
    for b in args.batch:
        forward, step = bench(b, args.repeats, device)
        print(f"torch    batch {b:>4}   G forward {forward:>9.1f} ms   "
              f"train iteration (D+G) {step:>9.1f} ms")
        result[f"g_forward_b{b}_ms"] = round(forward, 1)
        result[f"train_iter_b{b}_ms"] = round(step, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
