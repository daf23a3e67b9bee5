"""One guest workload under kage and under QEMU, side by side.

Both VMMs boot the same guest kernel and the same initramfs (busybox and a script), with the
same memory and vCPUs, and reach the same host directories and disk images through their own
virtio-mmio devices: kage's in-process virtio-fs and virtio-blk, QEMU's microvm machine with
virtiofsd (vhost-user-fs) and its virtio-blk. The script prints on the serial console of both.

The work prints its results as `@@fig ...` lines. Exits per operation: it prints
`@@mark NAME` before each part of its work and `@@mark idle` (a part not counted: a tool's
results copied out) or `@@mark end` right after it; at each mark this module reads the VM's
counters from KVM's debugfs (/sys/kernel/debug/kvm/<pid>-<fd>/, the sums over its vCPUs), so
a part's figures are the differences between its mark and the next. Reading a file there
costs the guest nothing.
"""
import os
import re
import statistics
import shutil
import stat
import subprocess
import tempfile
import threading
import time

KVM_DEBUGFS = "/sys/kernel/debug/kvm"
# What each exit is for: the total, those that reached the VMM (MMIO and port I/O), a vCPU
# with nothing to do (HLT), and interrupts injected into the guest.
COUNTERS = ("exits", "mmio_exits", "io_exits", "halt_exits", "irq_injections")
HEADS = ("exits", "MMIO", "PIO", "HLT", "IRQs in")
VIRTIOFSD = "/usr/lib/qemu/virtiofsd"
TIMEOUT = 1800  # seconds for one VM: TCG makes a nested guest slow, not stuck

INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
# Each share as tag:path:ro|rw. QEMU's virtiofsd has no read-only mode: the mount gives it.
for s in $(cat /shares); do
	tag=${s%%:*} rest=${s#*:}
	mkdir -p "${rest%:*}" && mount -t virtiofs -o "${rest##*:}" "$tag" "${rest%:*}" ||
		{ echo "@@init: cannot mount $s"; failed=1; }
done
if [ -z "$failed" ]; then
	sh /work
	echo "@@exit $?"
else
	echo "@@exit 99"
fi
sync
reboot -f
"""


def ensure_debugfs():
    if not os.path.isdir(KVM_DEBUGFS):
        subprocess.run(["mount", "-t", "debugfs", "debugfs", "/sys/kernel/debug"], check=False)
    if not os.path.isdir(KVM_DEBUGFS):
        raise RuntimeError(f"{KVM_DEBUGFS} is missing: no debugfs, or kvm is not loaded")


def _vm_dirs():
    return {d for d in os.listdir(KVM_DEBUGFS) if re.fullmatch(r"\d+-\d+", d)}


def _counters(d):
    out = {}
    for c in COUNTERS:
        try:
            out[c] = int(open(f"{KVM_DEBUGFS}/{d}/{c}").read())
        except (OSError, ValueError):
            return None
    return out


def _cpio_entry(name, mode, data=b"", ino=[0]):
    ino[0] += 1
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join(f"{v:08x}" for v in (
        ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
    pad = lambda n: b"\0" * (-n % 4)
    return hdr.encode() + name_b + pad(110 + len(name_b)) + data + pad(len(data))


def make_initramfs(path, files, mounts, work):
    """An uncompressed newc initramfs: busybox, files ({guest name: host path}), where to mount
    each share ([(guest path, read-only)]: Guest.shares' in order) and the work script. Busybox
    links itself at boot (--install)."""
    busybox = shutil.which("busybox")
    if not busybox:
        raise RuntimeError("busybox is not installed")
    dirs = {"bin"} | {os.path.dirname(n) for n in files if os.path.dirname(n)}
    out = [_cpio_entry(d, stat.S_IFDIR | 0o755) for d in sorted(dirs)]
    put = lambda n, data, m=0o755: out.append(_cpio_entry(n, stat.S_IFREG | m, data))
    put("bin/busybox", open(busybox, "rb").read())
    put("init", INIT.encode())
    put("shares", " ".join(f"share{i}:{m}:{'ro' if ro else 'rw'}"
                           for i, (m, ro) in enumerate(mounts)).encode() + b"\n", 0o644)
    put("work", work.encode(), 0o644)
    for name, src in files.items():
        put(name, open(src, "rb").read())
    out.append(_cpio_entry("TRAILER!!!", 0))
    with open(path, "wb") as f:
        f.write(b"".join(out))


class Guest:
    """What one VM gets. shares: [(guest path, host dir, read-only)], tags share0, share1, ...
    (kage's own names, which QEMU's devices copy); disks: paths, /dev/vda on. The initramfs must
    have been made with the same guest paths in the same order."""

    def __init__(self, kernel, initrd, mem=512, cpus=1, shares=(), disks=(), tap=None):
        self.kernel, self.initrd, self.mem, self.cpus = kernel, initrd, mem, cpus
        self.shares, self.disks, self.tap = list(shares), list(disks), tap


def kage_argv(kage, g):
    argv = [kage, "vm", "--console", "--mem", str(g.mem), "--cpus", str(g.cpus),
            "--kernel", g.kernel, "--initrd", g.initrd, "--cmdline", "quiet"]
    for path, d, ro in g.shares:
        argv += ["--share", f"{d}:{path}" + (":ro" if ro else "")]
    for p in g.disks:
        argv += ["--disk", p]
    if g.tap:
        argv += ["--tap", g.tap]
    return argv


def _thread_cpu(pid, last):
    """Adds each thread's CPU seconds (user + system) to last: {tid: (comm, seconds)}."""
    hz = os.sysconf("SC_CLK_TCK")
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for t in tids:
        try:
            f = open(f"/proc/{pid}/task/{t}/stat").read().rsplit(")", 1)[1].split()
            comm = open(f"/proc/{pid}/task/{t}/comm").read().strip()
        except OSError:
            continue
        last[t] = (comm, (int(f[11]) + int(f[12])) / hz)


def _is_vcpu(comm):
    return re.match(r"vcpu|CPU \d", comm) is not None  # kage's "vcpu0", QEMU's "CPU 0/KVM"


class _Virtiofsd:
    def __init__(self, tmp, g):
        self.procs, self.socks = [], []
        for i, (_, d, ro) in enumerate(g.shares):
            sock = f"{tmp}/vfsd{i}.sock"
            # sandbox=chroot: its namespace sandbox cannot pivot_root into a share of /.
            p = subprocess.Popen([VIRTIOFSD, f"--socket-path={sock}", "-o", f"source={d}",
                                  "-o", "cache=auto", "-o", "sandbox=chroot"],
                                 stdout=subprocess.DEVNULL,
                                 stderr=open(f"{tmp}/vfsd{i}.log", "w"))
            self.procs.append(p)
            self.socks.append(sock)
        # Reaped here only by os.wait4, never by Popen's poll: stop() wants their rusage.
        for sock, p in zip(self.socks, self.procs):
            t0 = time.monotonic()
            while not os.path.exists(sock):
                if time.monotonic() - t0 > 30:
                    self.stop()
                    raise RuntimeError(f"virtiofsd for {sock} did not start: "
                                       f"{open(sock.replace('.sock', '.log')).read()[-500:]}")
                time.sleep(0.05)

    def stop(self):
        """Ends them; returns their CPU seconds, their children's (the sandboxed worker) too."""
        cpu = 0.0
        for p in self.procs:
            try:
                os.kill(p.pid, 15)  # it may have ended with QEMU's connection: a zombie
            except ProcessLookupError:
                pass
            t0 = time.monotonic()
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    cpu += ru.ru_utime + ru.ru_stime
                    p.returncode = os.waitstatus_to_exitcode(status)
                    break
                if time.monotonic() - t0 > 10:
                    os.kill(p.pid, 9)
                time.sleep(0.05)
        return cpu


def qemu_argv(g, socks, cpu_host=True):
    # acpi=off: the kernel has no ACPI, and QEMU then names its virtio-mmio devices on the
    # kernel command line (auto-kernel-cmdline), as kage does.
    argv = ["qemu-system-x86_64", "-M", "microvm,acpi=off,memory-backend=mem", "-accel", "kvm",
            "-m", f"{g.mem}M", "-smp", str(g.cpus), "-nodefaults", "-no-user-config",
            "-display", "none", "-serial", "stdio", "-no-reboot",
            # virtio 1.x over MMIO, as kage's: QEMU's virtio-mmio is legacy (0.9) unless told,
            # and vhost-user-fs refuses legacy devices.
            "-global", "virtio-mmio.force-legacy=false",
            "-object", f"memory-backend-memfd,id=mem,size={g.mem}M,share=on",
            "-kernel", g.kernel, "-initrd", g.initrd,
            "-append", "console=ttyS0 reboot=t panic=-1 no_timer_check quiet"]
    if cpu_host:
        argv[5:5] = ["-cpu", "host"]
    for i, sock in enumerate(socks):
        argv += ["-chardev", f"socket,id=fs{i},path={sock}",
                 "-device", f"vhost-user-fs-device,chardev=fs{i},tag=share{i}"]
    for i, p in enumerate(g.disks):
        # QEMU's defaults: the host's page cache (cache=writeback), a thread pool for I/O.
        argv += ["-drive", f"file={p},if=none,id=d{i},format=raw",
                 "-device", f"virtio-blk-device,drive=d{i}"]
    if g.tap:
        # QEMU's own virtio-net in userspace (vhost=off), as kage's is: the device against
        # the device. The tap gets the same vnet header and offloads from both.
        argv += ["-netdev", f"tap,id=n0,ifname={g.tap},script=no,downscript=no,vhost=off",
                 "-device", "virtio-net-device,netdev=n0"]
    return argv


class Result:
    def __init__(self):
        self.lines, self.marks, self.rc, self.status, self.err = [], [], None, None, ""
        # (CPU seconds of the VMM's threads other than vCPUs, plus its helpers', wall seconds)
        self.vmm_cpu = (0.0, 0.0)

    def parts(self):
        """{mark name: (seconds, {counter: delta})} for each part between two marks, but the
        parts named idle (a tool's start or its results' copy, not the work measured)."""
        out = {}
        for (name, t0, c0), (_, t1, c1) in zip(self.marks, self.marks[1:]):
            if c0 and c1 and name != "idle":
                out[name] = (t1 - t0, {k: c1[k] - c0[k] for k in COUNTERS})
        return out

    def figures(self):
        """The lines the work printed as `@@fig ...` (the console carries the kernel's too)."""
        return [l[6:] for l in self.lines if l.startswith("@@fig ")]


def _run(argv, tmp, what):
    r = Result()
    before = _vm_dirs()
    errf = open(f"{tmp}/{what}.err", "w")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errf)
    killer = threading.Timer(TIMEOUT, p.kill)
    killer.start()
    vmdir = None
    threads, t0, done = {}, time.monotonic(), threading.Event()

    def sample():
        # The VM's threads live in the process named by its debugfs directory (<pid>-<fd>).
        while not done.wait(0.5):
            d = vmdir or next(iter(_vm_dirs() - before), None)
            if d:
                _thread_cpu(int(d.split("-")[0]), threads)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        for raw in p.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n")
            r.lines.append(line)
            m = re.match(r"@@mark (\S+)", line)
            if m:
                if vmdir is None:
                    new = _vm_dirs() - before
                    vmdir = new.pop() if len(new) == 1 else None
                r.marks.append((m[1], time.monotonic(), vmdir and _counters(vmdir)))
            m = re.match(r"@@exit (\d+)", line)
            if m:
                r.status = int(m[1])
        done.set()
        sampler.join()
        if vmdir:  # the last half second, which the sampler would miss
            _thread_cpu(int(vmdir.split("-")[0]), threads)
        r.rc = p.wait()
    finally:
        killer.cancel()
        done.set()
        sampler.join()
        if p.poll() is None:  # a failure on our side: leave no VM behind
            p.kill()
            p.wait()
        errf.close()
    r.vmm_cpu = (sum(s for c, s in threads.values() if not _is_vcpu(c)), time.monotonic() - t0)
    r.err = open(f"{tmp}/{what}.err").read()
    return r


def run_kage(kage, g, tmp):
    return _run(kage_argv(kage, g), tmp, "kage")


def run_qemu(g, tmp, cpu_host=True):
    fsd = _Virtiofsd(tmp, g)
    r = None
    try:
        r = _run(qemu_argv(g, fsd.socks, cpu_host), tmp, "qemu")
    finally:
        cpu = fsd.stop()
    r.vmm_cpu = (r.vmm_cpu[0] + cpu, r.vmm_cpu[1])
    return r


def qemu_cpu_host_works(kernel, tmp):
    """Whether this KVM gives QEMU -cpu host (kage hands the guest the host's CPUID; QEMU
    aborts on -cpu host where KVM cannot give it): the answer picks QEMU's CPU for the run."""
    d = tempfile.mkdtemp(dir=tmp)
    initrd = f"{d}/initrd"
    make_initramfs(initrd, {}, [], "true\n")
    r = run_qemu(Guest(kernel, initrd, mem=256), d, cpu_host=True)
    return r.status == 0


def check(r, who):
    """Raises with the last output when the VM did not run the work to a zero status."""
    if r.status != 0:
        tail = "\n  ".join((r.lines + r.err.splitlines())[-20:])
        raise RuntimeError(f"{who}: the guest's work ended with status {r.status}, "
                           f"VMM exit {r.rc}; last output:\n  {tail}")


def _median(xs):
    return statistics.median(xs) if xs else float("nan")


def print_exits(title, ex, steps, prec=2):
    """The benchmarks' exit table. ex: {"kage": rounds, "QEMU": rounds}, a round being
    {step: {counter: per operation}}; steps: [(step, its label)]. Medians over the rounds."""
    width = max(len(label) for _, label in steps) + 2
    print(title)
    print(f"  {'':<{width}}{'':<6}" + "".join(f"{h:>9}" for h in HEADS))
    for key, label in steps:
        for vmm in ("kage", "QEMU"):
            vals = [_median([e[key][c] for e in ex[vmm] if key in e]) for c in COUNTERS]
            print(f"  {label if vmm == 'kage' else '':<{width}}{vmm:<6}"
                  + "".join(f"{v:>9.{prec}f}" for v in vals))


def print_raw_exits(title, ex, keys, prec=2):
    """Every round's exits per operation, step by step, as counter/counter/..."""
    print(title)
    for vmm in ("kage", "QEMU"):
        for i, e in enumerate(ex[vmm]):
            print(f"  {vmm:<6}{i + 1:>3}  " + "  ".join(
                f"{k}=" + "/".join(f"{e[k][c]:.{prec}f}" for c in COUNTERS) for k in keys if k in e))
