"""bench/net's VMM half: kage's virtio-net against QEMU's (userspace, vhost=off), each VM on the
same tap with the same kernel and initramfs (vmpeer.py), the guest driving every test: iperf3
to the host and back (-R), and 1-byte TCP round trips to an echo server on the host. Prints
medians, kage/QEMU ratios, exits per MiB and per round trip, and the raw samples.
Environment: BENCH_N, BENCH_SECS, BENCH_RR, BENCH_DIR (a scratch directory), BENCH_KAGE,
BENCH_KERNEL, BENCH_WHERE, BENCH_QEMU. Exits non-zero when a run failed."""
import json
import os
import socket
import statistics
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmpeer  # noqa: E402

E = os.environ
N, SECS, RR, D = int(E["BENCH_N"]), int(E["BENCH_SECS"]), int(E["BENCH_RR"]), E["BENCH_DIR"]
KAGE, KERNEL = E["BENCH_KAGE"], E["BENCH_KERNEL"]
TAP, HOST, GUEST, IPERF_PORT, ECHO_PORT = "kage-bnet0", "10.77.0.1", "10.77.0.2", 5299, 7299
OUT = f"{D}/out"
# The guest's round trips, run by the test host's python3 from the read-only share of /.
RR_PY = f"""import socket, statistics, sys, time
s = socket.create_connection(("{HOST}", {ECHO_PORT}), timeout=30)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
print("@@mark rr", flush=True)
t = []
for _ in range({RR}):
    t0 = time.perf_counter()
    s.sendall(b"x")
    if s.recv(1) != b"x":
        sys.exit("the echo server answered something else")
    t.append((time.perf_counter() - t0) * 1e6)
print("@@mark end", flush=True)
print(f"@@fig {{statistics.median(t):.1f}} us", flush=True)
"""
# The chroot needs its own /proc, /dev and a writable /tmp (iperf3 makes a file per stream).
WORK = f"""mount -t proc proc /host/proc && mount -t sysfs sys /host/sys &&
mount -t devtmpfs dev /host/dev && mount -t tmpfs tmp /host/tmp || exit 1
ip link set eth0 mtu 1500 up && ip addr add {GUEST}/24 dev eth0 || exit 1
n=0; until ping -c 1 -W 2 {HOST} >/dev/null 2>&1; do n=$((n + 1)); [ $n -lt 30 ] || exit 1; done
echo '@@mark c2h'
chroot /host iperf3 -c {HOST} -p {IPERF_PORT} -t {SECS} -J >/tmp/c2h.json || exit 1
echo '@@mark h2c'
chroot /host iperf3 -c {HOST} -p {IPERF_PORT} -t {SECS} -R -J >/tmp/h2c.json || exit 1
echo '@@mark idle'
cp /tmp/c2h.json /tmp/h2c.json /out/ && chroot /host python3 {D}/rr.py || exit 1
"""


def sh(*argv):
    subprocess.run(argv, check=True)


def echo_server(stop):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST, ECHO_PORT))
    srv.listen(4)
    srv.settimeout(1)
    while not stop.is_set():
        try:
            c, _ = srv.accept()
        except socket.timeout:
            continue
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with c:
            while data := c.recv(4096):
                c.sendall(data)
    srv.close()


def received(path):
    """iperf3's receiver summary; a run that failed says why in its JSON."""
    j = json.load(open(path))
    if "sum_received" not in j.get("end", {}):
        raise RuntimeError(f"iperf3 ({path}): {j.get('error', 'no sum_received in its JSON')}")
    return j["end"]["sum_received"]


def mib(path):
    return received(path)["bytes"] / 2**20


def gbits(path):
    return received(path)["bits_per_second"] / 1e9


def one(vmm, cpu_host):
    g = vmpeer.Guest(KERNEL, f"{D}/initrd", mem=512, tap=TAP,
                     shares=[("/host", "/", True), ("/out", OUT, False)])
    r = vmpeer.run_kage(KAGE, g, D) if vmm == "kage" else vmpeer.run_qemu(g, D, cpu_host)
    vmpeer.check(r, vmm)
    figs = {"c2h": gbits(f"{OUT}/c2h.json"), "h2c": gbits(f"{OUT}/h2c.json"),
            "rr": float(r.figures()[-1].split()[0])}
    ops = {"c2h": mib(f"{OUT}/c2h.json"), "h2c": mib(f"{OUT}/h2c.json"), "rr": RR}
    exits = {k: {c: v / ops[k] for c, v in part[1].items()} for k, part in r.parts().items()
             if k in ops}
    return figs, exits, r.vmm_cpu


def main():
    os.makedirs(OUT, exist_ok=True)
    open(f"{D}/rr.py", "w").write(RR_PY)
    vmpeer.make_initramfs(f"{D}/initrd", {}, [("/host", True), ("/out", False)], WORK)
    vmpeer.ensure_debugfs()
    subprocess.run(["ip", "link", "del", TAP], stderr=subprocess.DEVNULL)
    sh("ip", "tuntap", "add", "dev", TAP, "mode", "tap")
    stop = threading.Event()
    iperf = None
    try:
        sh("ip", "addr", "add", f"{HOST}/24", "dev", TAP)
        sh("ip", "link", "set", TAP, "up")
        iperf = subprocess.Popen(["iperf3", "-s", "-B", HOST, "-p", str(IPERF_PORT)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        threading.Thread(target=echo_server, args=(stop,), daemon=True).start()
        cpu_host = vmpeer.qemu_cpu_host_works(KERNEL, D)
        rows = {"kage": [], "QEMU": []}
        ex = {"kage": [], "QEMU": []}
        cpu = {"kage": [], "QEMU": []}
        for i in range(N):
            for vmm in (("kage", "QEMU") if i % 2 == 0 else ("QEMU", "kage")):
                f, e, c = one(vmm, cpu_host)
                rows[vmm].append(f)
                ex[vmm].append(e)
                cpu[vmm].append(c)
            print(f"bench/net: VMM round {i + 1}/{N} done", file=sys.stderr, flush=True)
    finally:
        stop.set()
        if iperf:
            iperf.terminate()
        subprocess.run(["ip", "link", "del", TAP], stderr=subprocess.DEVNULL)
    report(rows, ex, cpu, cpu_host)


def report(rows, ex, cpu, cpu_host):
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    tests = [("c2h", "TCP throughput guest -> host (iperf3), Gbit/s", True, "MiB"),
             ("h2c", "TCP throughput host -> guest (iperf3 -R), Gbit/s", True, "MiB"),
             ("rr", f"TCP round trip, 1 byte, median of {RR}, us", False, "round trip")]
    print()
    print(f"virtio-net, kage against QEMU: {N} rounds, interleaved; {SECS} s per iperf3 run;")
    print(f"  ran {E['BENCH_WHERE']}")
    print("  each VM: the same kernel and initramfs, 512 MiB, 1 vCPU, MTU 1500, on one tap whose")
    print("  host side runs the iperf3 server and an echo server; the guest runs the clients (the")
    print("  test host's iperf3 and python3 from a read-only share of /). kage --tap; QEMU's")
    print(f"  microvm with virtio-net-device on -netdev tap,vhost=off. {E['BENCH_QEMU']},")
    print(f"  {'-cpu host' if cpu_host else 'its default CPU (-cpu host failed)'}")
    print()
    print(f"{'':<52}{'kage':>9}{'QEMU':>9}{'kage/QEMU':>11}   goal")
    for key, name, higher, _ in tests:
        k, q = med([r[key] for r in rows["kage"]]), med([r[key] for r in rows["QEMU"]])
        ratio = k / q if higher else q / k
        print(f"  {name:<50}{k:>9.3f}{q:>9.3f}{ratio:>10.2f}x   "
              f">= 1.0x QEMU: {'met' if ratio >= 1.0 else 'NOT met'}")
    print("  (for the round trip the ratio is QEMU's time over kage's: higher is better for kage)")
    print()
    vmpeer.print_exits("VM exits per operation (medians; KVM's counters for the whole VM during "
                       "each test):", ex, [(key, f"{key} (per {unit})") for key, _, _, unit in tests])
    print()
    for vmm in ("kage", "QEMU"):
        print(f"{vmm} VMM CPU time beside its vCPUs: median {med([c[0] for c in cpu[vmm]]):.1f} s "
              f"of {med([c[1] for c in cpu[vmm]]):.1f} s wall")
    print()
    print("raw samples (guest->host Gbit/s, host->guest Gbit/s, round trip us):")
    for vmm in ("kage", "QEMU"):
        for i, r in enumerate(rows[vmm]):
            print(f"  {vmm:<6}{i + 1:>3}  {r['c2h']:.3f}  {r['h2c']:.3f}  {r['rr']:.1f}")
    vmpeer.print_raw_exits("raw exits per operation (exits/MMIO/PIO/HLT/IRQs in):", ex,
                           [k for k, *_ in tests])


if __name__ == "__main__":
    main()
