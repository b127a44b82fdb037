#!/usr/bin/env bash
# Op micro-benchmarks, ember next to PyTorch CPU (Debian's python3-torch), same shapes and thread
# count, alternating the two a few times; prints per-op medians and ratios (torch / ember: above 1
# means ember is faster).
#   tools/bench_ops.sh [build-dir] [threads] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${2:-1}
ROUNDS=${3:-3}
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=PASSIVE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in $(seq "$ROUNDS"); do
  "$BUILD/tools/ember-bench-ops" --threads "$THREADS" >>"$tmp/ember.txt"
  /usr/bin/python3 tools/bench_ops_torch.py --threads "$THREADS" >>"$tmp/torch.txt"
done
/usr/bin/python3 - "$tmp/ember.txt" "$tmp/torch.txt" "$THREADS" <<'PY'
import collections, statistics, sys
def load(path):
    d = collections.defaultdict(list)
    for line in open(path):
        f = line.split()
        if f and f[0] == "op":
            d[f[1]].append(float(f[3]))
    return d
e, t, threads = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
print(f"threads={threads}; medians over rounds of per-run medians; ratio = torch/ember (>1: ember faster)")
print(f"{'op':28} {'ember ms':>10} {'torch ms':>10} {'ratio':>7} {'ratio min..max':>16}")
for name in e:
    em, tm = statistics.median(e[name]), statistics.median(t[name])
    ratios = [b / a for a, b in zip(e[name], t[name])]
    print(f"{name:28} {em:10.3f} {tm:10.3f} {tm/em:7.2f} {min(ratios):7.2f}..{max(ratios):.2f}")
PY
