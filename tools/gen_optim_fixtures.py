#!/usr/bin/python3
"""Writes tests/fixtures/optim_trajectories.txt: optimizer and scheduler trajectories from PyTorch.

Run with Debian's python3 and python3-torch 1.13 (not a pyenv python):
    /usr/bin/python3 tools/gen_optim_fixtures.py
The C++ test tests/optim/test_torch_parity.cpp replays every case with ember and compares.

Optimizer cases start from fixed float64 parameters and feed a fixed sequence of gradients
(written into the fixture, so the C++ side replays exactly the same ones):
    optim <name> <Class>
    option <key> <value>                    constructor options (betas as beta1/beta2)
    group <lr|nan> <weight_decay|nan> <param indices...>   nan: the optimizer's default
    param <i> <ndim> <sizes...> <values...>                 initial values
    grad <step> <i> <values...> | grad <step> <i> none      none: no gradient this step
    value <step> <i> <values...>                            parameter after the step
    end
Scheduler cases drive an SGD optimizer with two parameter groups:
    sched <name> <Class>
    group_lrs <lr0> <lr1>
    option <key> <value>
    metric <epoch> <value>                  ReduceLROnPlateau: metric passed to step() for epoch
    lrs <epoch> <lr0> <lr1>                 the groups' lrs at that epoch (0: after construction)
    end
"""
import math
import pathlib

import torch
from torch.optim import SGD, Adam, AdamW
from torch.optim import lr_scheduler as S

torch.manual_seed(0)
D = torch.float64
STEPS = 25
EPOCHS = 40
OUT = []


def fmt(x):
    return repr(float(x))


def values(t):
    return " ".join(fmt(v) for v in t.detach().reshape(-1).tolist())


# --- optimizers -------------------------------------------------------------------------------

def initial_params():
    g = torch.Generator().manual_seed(1)
    return [torch.rand(2, 3, generator=g, dtype=D) * 2 - 1, torch.rand(4, generator=g, dtype=D) * 2 - 1]


def gradient_sequence(shapes, seed, scale_fn=lambda step: 1.0, missing=()):
    g = torch.Generator().manual_seed(seed)
    seq = []
    for step in range(1, STEPS + 1):
        row = []
        for i, shape in enumerate(shapes):
            grad = (torch.rand(*shape, generator=g, dtype=D) * 2 - 1) * scale_fn(step)
            row.append(None if (step, i) in missing else grad)
        seq.append(row)
    return seq


def optim_case(name, cls, options, groups, grad_seed, scale_fn=lambda step: 1.0, missing=()):
    params = [p.clone().requires_grad_() for p in initial_params()]
    torch_groups = []
    for lr, wd, idx in groups:
        group = {"params": [params[i] for i in idx]}
        if lr is not None:
            group["lr"] = lr
        if wd is not None:
            group["weight_decay"] = wd
        torch_groups.append(group)
    kwargs = dict(options)
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    opt = cls(torch_groups, **kwargs)

    OUT.append(f"optim {name} {cls.__name__}")
    for k, v in options.items():
        OUT.append(f"option {k} {fmt(v)}")
    for lr, wd, idx in groups:
        OUT.append(f"group {'nan' if lr is None else fmt(lr)} {'nan' if wd is None else fmt(wd)} "
                   + " ".join(str(i) for i in idx))
    for i, p in enumerate(params):
        OUT.append(f"param {i} {p.dim()} {' '.join(str(s) for s in p.shape)} {values(p)}")
    seq = gradient_sequence([p.shape for p in params], grad_seed, scale_fn, missing)
    for step, row in enumerate(seq, start=1):
        for i, (p, grad) in enumerate(zip(params, row)):
            p.grad = None if grad is None else grad.clone()
            OUT.append(f"grad {step} {i} none" if grad is None else f"grad {step} {i} {values(grad)}")
        opt.step()
        for i, p in enumerate(params):
            OUT.append(f"value {step} {i} {values(p)}")
    OUT.append("end")


ALL = [0, 1]
optim_case("sgd_nesterov", SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": 1, "weight_decay": 0.01},
           [(None, None, ALL)], grad_seed=10)
optim_case("sgd_dampening", SGD, {"lr": 0.1, "momentum": 0.8, "dampening": 0.3},
           [(None, None, ALL)], grad_seed=11)
optim_case("sgd_maximize", SGD, {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.05, "maximize": 1},
           [(None, None, ALL)], grad_seed=12, missing={(4, 0), (5, 0)})
optim_case("adam", Adam, {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8},
           [(None, None, ALL)], grad_seed=13, missing={(3, 1), (10, 1)})
# Large early gradients then small ones, so that the amsgrad running max matters.
optim_case("adam_amsgrad_wd", Adam, {"lr": 0.02, "amsgrad": 1, "weight_decay": 0.1},
           [(None, None, ALL)], grad_seed=14, scale_fn=lambda step: 3.0 if step <= 5 else 0.2)
optim_case("adamw", AdamW, {"lr": 0.01, "beta1": 0.8, "beta2": 0.95, "weight_decay": 0.05},
           [(None, None, ALL)], grad_seed=15)
optim_case("adamw_groups", AdamW, {"lr": 0.01, "weight_decay": 0.05},
           [(0.03, None, [0]), (None, 0.0, [1])], grad_seed=16)
optim_case("adamw_amsgrad_maximize", AdamW, {"lr": 0.005, "amsgrad": 1, "maximize": 1, "eps": 1e-6},
           [(None, None, ALL)], grad_seed=17, scale_fn=lambda step: 2.0 if step % 7 == 1 else 0.5)


# --- schedulers -------------------------------------------------------------------------------

def sched_case(name, kind, make, options, group_lrs=(0.1, 0.05), metrics=None):
    ps = [torch.zeros(2, dtype=D, requires_grad=True), torch.zeros(3, dtype=D, requires_grad=True)]
    opt = SGD([{"params": [ps[0]], "lr": group_lrs[0]}, {"params": [ps[1]], "lr": group_lrs[1]}],
              lr=group_lrs[0])
    sched = make(opt)
    OUT.append(f"sched {name} {kind}")
    OUT.append("group_lrs " + " ".join(fmt(v) for v in group_lrs))
    for k, v in options.items():
        OUT.append(f"option {k} {fmt(v)}")
    OUT.append("lrs 0 " + " ".join(fmt(g["lr"]) for g in opt.param_groups))
    for epoch in range(1, EPOCHS):
        opt.step()  # no gradients: only keeps PyTorch from warning about the call order
        if metrics is not None:
            OUT.append(f"metric {epoch} {fmt(metrics[epoch])}")
            sched.step(metrics[epoch])
        else:
            sched.step()
        OUT.append(f"lrs {epoch} " + " ".join(fmt(g["lr"]) for g in opt.param_groups))
    OUT.append("end")


sched_case("step", "StepLR", lambda o: S.StepLR(o, step_size=7, gamma=0.5),
           {"step_size": 7, "gamma": 0.5})
sched_case("multistep", "MultiStepLR", lambda o: S.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
           {"gamma": 0.3})
sched_case("exponential", "ExponentialLR", lambda o: S.ExponentialLR(o, gamma=0.93), {"gamma": 0.93})
sched_case("cosine", "CosineAnnealingLR", lambda o: S.CosineAnnealingLR(o, T_max=15, eta_min=0.001),
           {"T_max": 15, "eta_min": 0.001})
sched_case("linear_warmup", "LinearLR",
           lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=10),
           {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 10})
sched_case("linear_decay", "LinearLR",
           lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=20),
           {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 20})
# The C++ test writes the same two functions.
sched_case("lambda", "LambdaLR",
           lambda o: S.LambdaLR(o, [lambda e: 0.97 ** e, lambda e: 1.0 / (1.0 + 0.1 * e)]), {})
# NoamLR's lr is absolute: with group lrs of 1, PyTorch's LambdaLR gives the same numbers.
D_MODEL, WARMUP, FACTOR = 512, 10, 2.0
sched_case("noam", "NoamLR",
           lambda o: S.LambdaLR(o, lambda e: FACTOR * D_MODEL ** -0.5 *
                                min((e + 1) ** -0.5, (e + 1) * WARMUP ** -1.5)),
           {"d_model": D_MODEL, "warmup_steps": WARMUP, "factor": FACTOR}, group_lrs=(1.0, 1.0))
sched_case("sequential_warmup_cosine", "SequentialLR",
           lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.01, total_iters=5),
                                        S.CosineAnnealingLR(o, T_max=30, eta_min=1e-4)],
                                    milestones=[5]), {})
sched_case("sequential_three", "SequentialLR",
           lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.2, total_iters=4),
                                        S.ExponentialLR(o, gamma=0.9),
                                        S.StepLR(o, step_size=3, gamma=0.5)],
                                    milestones=[4, 12]), {})
sched_case("onecycle_cos", "OneCycleLR",
           lambda o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=EPOCHS, pct_start=0.25,
                                  cycle_momentum=False),
           {"max_lr0": 0.5, "max_lr1": 0.2, "total_steps": EPOCHS, "pct_start": 0.25})
sched_case("onecycle_linear_three_phase", "OneCycleLR",
           lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=EPOCHS, pct_start=0.3,
                                  anneal_strategy="linear", three_phase=True, div_factor=10.0,
                                  final_div_factor=100.0, cycle_momentum=False),
           {"max_lr0": 0.3, "max_lr1": 0.3, "total_steps": EPOCHS, "pct_start": 0.3,
            "anneal_linear": 1, "three_phase": 1, "div_factor": 10.0, "final_div_factor": 100.0})

g = torch.Generator().manual_seed(5)
noise = (torch.rand(EPOCHS, generator=g, dtype=D) * 0.1).tolist()
# Falls, stalls, falls a little, stalls: reductions, cooldowns and the threshold all matter.
loss = [1.0 / (1 + 0.3 * min(e, 8)) + (0.02 * max(0, e - 20) ** 0.5 if e > 20 else 0) + noise[e] * (e > 10)
        for e in range(EPOCHS)]
accuracy = [0.5 + 0.4 * (1 - math.exp(-e / 6)) + noise[e] * 0.5 for e in range(EPOCHS)]
sched_case("plateau_min_rel", "ReduceLROnPlateau",
           lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, threshold=0.01,
                                         cooldown=1, min_lr=[0.01, 0.004]),
           {"mode_max": 0, "factor": 0.5, "patience": 2, "threshold": 0.01, "threshold_abs": 0,
            "cooldown": 1, "min_lr0": 0.01, "min_lr1": 0.004, "eps": 1e-8}, metrics=loss)
sched_case("plateau_max_abs", "ReduceLROnPlateau",
           lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=1, threshold=0.02,
                                         threshold_mode="abs", cooldown=2, min_lr=0.001),
           {"mode_max": 1, "factor": 0.3, "patience": 1, "threshold": 0.02, "threshold_abs": 1,
            "cooldown": 2, "min_lr0": 0.001, "min_lr1": 0.001, "eps": 1e-8}, metrics=accuracy)

path = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "optim_trajectories.txt"
path.write_text(f"# generated by tools/gen_optim_fixtures.py with torch {torch.__version__}; do not edit\n"
                + "\n".join(OUT) + "\n")
print(f"wrote {path} ({path.stat().st_size} bytes)")
