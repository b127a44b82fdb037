#!/usr/bin/env bash
# Transformer training speed, ember next to PyTorch CPU (Debian's python3-torch), same model,
# shapes and thread count, alternating the two ROUNDS times; then ember's decoding speed with the
# key/value cache next to without it. Prints medians and ratios (training: torch / ember, above 1
# means ember is faster; decoding: cached / uncached sentences per second).
#   tools/bench_transformer.sh [build-dir] [threads] [rounds]
# Timed runs per measurement (after the warm-up runs) can be changed through the environment:
#   SMALL_STEPS=6 BASE_STEPS=3 GREEDY_STEPS=3 BEAM_STEPS=2
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${2:-1}
ROUNDS=${3:-3}
SMALL_STEPS=${SMALL_STEPS:-6}
BASE_STEPS=${BASE_STEPS:-3}
GREEDY_STEPS=${GREEDY_STEPS:-3}
BEAM_STEPS=${BEAM_STEPS:-2}
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=PASSIVE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ember() { "$BUILD/tools/ember-bench-mt" --threads "$THREADS" "$@"; }
torch() { /usr/bin/python3 tools/bench_transformer_torch.py --threads "$THREADS" "$@"; }
for r in $(seq "$ROUNDS"); do
  ember --workload train-small --steps "$SMALL_STEPS" --warmup 2 >>"$tmp/ember.txt"
  torch --workload train-small --steps "$SMALL_STEPS" --warmup 2 >>"$tmp/torch.txt"
  ember --workload train-base --steps "$BASE_STEPS" --warmup 1 >>"$tmp/ember.txt"
  torch --workload train-base --steps "$BASE_STEPS" --warmup 1 >>"$tmp/torch.txt"
done
ember --workload decode-greedy --steps "$GREEDY_STEPS" --warmup 1 >>"$tmp/decode.txt"
ember --workload decode-beam --steps "$BEAM_STEPS" --warmup 1 >>"$tmp/decode.txt"
/usr/bin/python3 - "$tmp/ember.txt" "$tmp/torch.txt" "$tmp/decode.txt" "$THREADS" "$ROUNDS" <<'PY'
import collections, statistics, sys
def load(path):
    d = collections.defaultdict(list)
    for line in open(path):
        f = line.split()
        if f and f[0] == "workload":
            d[f[1]].append((float(f[3]), float(f[9])))  # median ms, items per second
    return d
e, t, dec = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
threads, rounds = sys.argv[4], sys.argv[5]
print(f"threads={threads}; training: medians over {rounds} rounds of per-run median step times; "
      "ratio = torch/ember (>1: ember faster)")
print(f"{'workload':14} {'ember ms':>10} {'torch ms':>10} {'ember tok/s':>12} {'torch tok/s':>12}"
      f" {'ratio':>6} {'ratio min..max':>15}")
for name in e:
    em = statistics.median(ms for ms, _ in e[name])
    tm = statistics.median(ms for ms, _ in t[name])
    ratios = [b[0] / a[0] for a, b in zip(e[name], t[name])]
    tokens = e[name][0][1] * e[name][0][0] / 1000  # tokens per step
    print(f"{name:14} {em:10.1f} {tm:10.1f} {tokens / em * 1000:12.0f} {tokens / tm * 1000:12.0f}"
          f" {tm / em:6.2f} {min(ratios):7.2f}..{max(ratios):.2f}")
print(f"decoding (ember, small preset, 64 sentences x 32 new tokens): sentences/s, "
      "cache vs recomputing the prefix")
print(f"{'workload':14} {'cache ms':>10} {'no-cache ms':>12} {'cache sent/s':>13} "
      f"{'no-cache sent/s':>16} {'speedup':>8}")
for kind in ("greedy", "beam4"):
    c, n = dec[f"decode-{kind}-cache"][0], dec[f"decode-{kind}-nocache"][0]
    print(f"{'decode-' + kind:14} {c[0]:10.1f} {n[0]:12.1f} {c[1]:13.1f} {n[1]:16.1f} "
          f"{n[0] / c[0]:8.2f}")
PY
