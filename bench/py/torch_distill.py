"""PyTorch reference for bench/distill.ts's throughput section (ANCHORS.md's loop): teacher forward
without gradient, KL(softmax(t/2) || softmax(s/2)) * 4, Adam lr 1e-3, batch 256 from a pre-made
buffer of observations, 1 thread. Prints one JSON line."""
import argparse, json, time
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(1)
p = argparse.ArgumentParser()
p.add_argument("--case", required=True)
p.add_argument("--steps", type=int, default=1500)
p.add_argument("--pool", default="")
a = p.parse_args()
torch.manual_seed(1)
N, B = 20000, 256
if a.case == "mlp4":
    teacher = nn.Sequential(nn.Linear(4, 256), nn.Tanh(), nn.Linear(256, 256), nn.Tanh(), nn.Linear(256, 2))
    student = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
    pool = torch.randn(N, 4)
elif a.case == "mlp8":
    teacher = nn.Sequential(nn.Linear(8, 256), nn.Tanh(), nn.Linear(256, 256), nn.Tanh(), nn.Linear(256, 4))
    student = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 4))
    pool = torch.randn(N, 8)
else:
    teacher = nn.Sequential(nn.Conv2d(4, 16, 3), nn.ReLU(), nn.Flatten(), nn.Linear(16 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 6))
    student = nn.Sequential(nn.Flatten(), nn.Linear(400, 64), nn.Tanh(), nn.Linear(64, 6))
    if a.pool:
        import numpy as np
        pool = torch.from_numpy(np.fromfile(a.pool, dtype=np.float32).reshape(N, 10, 10, 4)).permute(0, 3, 1, 2).contiguous()
    else:
        pool = (torch.rand(N, 4, 10, 10) < 0.1).float()
opt = torch.optim.Adam(student.parameters(), lr=1e-3)
tau = 2.0

def step():
    idx = torch.randint(0, N, (B,))
    x = pool[idx]
    with torch.no_grad():
        t = teacher(x)
    s = student(x)
    loss = F.kl_div(F.log_softmax(s / tau, -1), F.log_softmax(t / tau, -1), log_target=True, reduction="batchmean") * tau * tau
    opt.zero_grad()
    loss.backward()
    opt.step()

for _ in range(100):
    step()
t0 = time.perf_counter()
c0 = time.process_time()
for _ in range(a.steps):
    step()
cpu = (time.process_time() - c0) * 1000 / a.steps
ms = (time.perf_counter() - t0) * 1000 / a.steps
print(json.dumps({"case": a.case, "samples_per_s": B / (ms / 1000), "ms_per_batch": ms, "cpu_ms_per_batch": cpu, "torch": torch.__version__}))
