"""Runs the benchmarks of issue 13 and prints one table. Called by run.sh, which installs and
builds what it needs; standard library only (boto3 is needed by the seeder and the peers).

Usage: bench.py small|large FIREBREAK_BIN PROXY_BIN MEMORY_BIN CRITERION_DIR

Everything talks to one private moto_server through the latency proxy (bench_proxy, 100 ms
per request by default), which logs every request; request counts, the critical path and the
minimum number of requests are computed from those logs (analysis.py).
"""
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import analysis

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SIZE, FIREBREAK, PROXY, MEMORY, CRITERION = sys.argv[1:6]
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "100"))
RUNS = int(os.environ.get("BENCH_RUNS", "5" if SIZE == "small" else "3"))
CONTAIN_FUNCTIONS = int(os.environ.get("BENCH_CONTAIN_FUNCTIONS", "1000"))
# Throttling the proxy injects while functions are contained: every request may be answered
# with the service's throttling error, as AWS does when an account is over its rate.
CONTAIN_THROTTLE = float(os.environ.get("BENCH_CONTAIN_THROTTLE", "0.05"))
PYTHON = sys.executable
# firebreak's exit codes when a region could not be read (4) or a step failed (5): counted in
# the table, not a harness failure.
EXIT_PARTIAL, EXIT_STEP_FAILED = 4, 5
WORK = Path(tempfile.mkdtemp(prefix="firebreak-bench-"))
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": "AKIAFIREBREAKBENCH",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": str(WORK / "none"),
    "AWS_SHARED_CREDENTIALS_FILE": str(WORK / "none"),
    "HOME": str(WORK / "home"),
    "XDG_CONFIG_HOME": str(WORK / "home" / "config"),
    "XDG_DATA_HOME": str(WORK / "home" / "data"),
}


def say(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """A private moto_server on a free loopback port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            env={**ENV, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/")
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("moto_server did not start")

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"))

    def cpu_seconds(self):
        """CPU time moto has used so far (user + system)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def settle(self):
        """Waits until moto has answered what an earlier measure left queued (a cockpit is
        stopped with its requests in flight): its CPU time stops growing."""
        before = self.cpu_seconds()
        for _ in range(600):
            time.sleep(0.2)
            now = self.cpu_seconds()
            if now - before < 0.01:
                return
            before = now

    def stop(self):
        self.process.terminate()
        self.process.wait()


class Proxy:
    """The latency proxy in front of moto for one measurement; its log is read at exit."""

    def __init__(self, moto, throttle=0.0):
        moto.settle()
        self.log = WORK / f"proxy-{time.monotonic_ns()}.jsonl"
        self.process = subprocess.Popen(
            [PROXY, str(moto.port), str(self.log), str(LATENCY_MS), str(throttle)],
            stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            raise SystemExit("bench_proxy did not start")

    def finish(self):
        """Stops the proxy; returns (requests forwarded, faults injected)."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait()
        requests, injected = [], []
        for line in self.log.read_text().splitlines():
            entry = json.loads(line)
            (injected if "injected" in entry else requests).append(entry)
        return requests, injected


def timed(command, stdout=subprocess.DEVNULL, env=ENV, allowed=(0,)):
    """Runs `command`; returns (wall seconds, peak RSS in MiB). Fails loudly on an exit code
    not `allowed`."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - start
    stderr = process.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) not in allowed:
        raise SystemExit(f"{command[0]} failed ({status}):\n{stderr[-3000:]}")
    return wall, usage.ru_maxrss / 1024


def firebreak(*args):
    return [FIREBREAK, *args]


def seed(moto, *args):
    out = subprocess.run([PYTHON, str(HERE / "seed.py"), moto.url, *args], env=ENV, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def scan_runs(moto):
    """Times RUNS full scans, each through a fresh proxy; returns the runs and the last report."""
    runs = []
    report = WORK / "report.json"
    for n in range(RUNS):
        proxy = Proxy(moto)
        cpu_before = moto.cpu_seconds()
        with open(report, "w") as out:
            wall, rss = timed(firebreak("--endpoint-url", proxy.url, "scan", "--format", "json"),
                              stdout=out)
        cpu = moto.cpu_seconds() - cpu_before
        requests, _ = proxy.finish()
        runs.append(dict(wall=wall, rss=rss, requests=requests, moto_cpu=cpu))
        say(f"firebreak scan {n + 1}/{RUNS}: {wall:.2f} s, {len(requests)} requests, "
            f"moto busy {cpu:.1f} s, peak RSS {rss:.0f} MiB")
    return runs, json.loads(report.read_text())


def peer_runs(moto, command, runs, label):
    walls, counts = [], []
    for n in range(runs):
        proxy = Proxy(moto)
        wall, _ = timed(command(proxy.url), env={**ENV, "PATH": f"{Path(PYTHON).parent}:{ENV['PATH']}"})
        requests, _ = proxy.finish()
        walls.append(wall)
        counts.append(len(requests))
        say(f"{label} {n + 1}/{runs}: {wall:.2f} s, {len(requests)} requests")
    return walls, counts


def awscli(moto, estate):
    """The aws-cli loop: whole on small; on large over the first 2 regions, scaled by calls."""
    script = ["bash", str(HERE / "peers/awscli.sh")]
    if SIZE == "small":
        walls, counts = peer_runs(moto, lambda url: [*script, url], 1, "aws-cli loop")
        return walls[0], counts[0], None
    walls, counts = peer_runs(moto, lambda url: [*script, url, "2"], 1, "aws-cli loop (2 regions)")
    per_call = walls[0] / counts[0]
    per_region = estate["snapshots"] // estate["regions"]
    calls = 1 + estate["regions"] * (4 + per_region) + 1 + estate["users"] + 1
    return per_call * calls, calls, f"{counts[0]} calls timed, {per_call:.2f} s each, x {calls} calls"


def first_region_in_tui(moto, regions=None):
    """Seconds from starting the cockpit (on every enabled region, or only `regions`) to the
    first region showing its count, read off a 120x40 tmux pane every 10 ms."""
    proxy = Proxy(moto)
    only = f" --regions {regions}" if regions else ""
    session = f"firebreak-bench-{os.getpid()}"
    env = " ".join(f"{k}='{ENV[k]}'" for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                               "AWS_REGION", "AWS_CONFIG_FILE", "HOME",
                                               "AWS_SHARED_CREDENTIALS_FILE", "XDG_CONFIG_HOME",
                                               "XDG_DATA_HOME"))
    # A finished region shows its number of findings (every seeded region has some); a pending
    # one a dot, a scanning one a spinner.
    done = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d\s+\d+\s")
    start = time.monotonic()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                    f"env {env} {FIREBREAK} --endpoint-url {proxy.url}{only}"], check=True)
    shown = None
    try:
        while time.monotonic() - start < 300:
            pane = subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                                  capture_output=True, text=True).stdout
            if done.search(pane):
                shown = time.monotonic() - start
                break
            time.sleep(0.01)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        proxy.finish()
    if shown is None:
        raise SystemExit("the cockpit showed no region within 300 s")
    return shown


def one_cli_call(moto):
    """One aws-cli call through the proxy (the median of three)."""
    proxy = Proxy(moto)
    calls = []
    for _ in range(3):
        wall, _ = timed(["aws", "--endpoint-url", proxy.url, "lambda", "list-functions",
                         "--region", "eu-west-1"],
                        env={**ENV, "PATH": f"{Path(PYTHON).parent}:{ENV['PATH']}"})
        calls.append(wall)
    proxy.finish()
    return statistics.median(calls)


def cockpit(moto):
    """The cockpit's first region on every region, and alone on one, and one aws-cli call."""
    every = first_region_in_tui(moto)
    alone = first_region_in_tui(moto, "us-east-1")
    call = one_cli_call(moto)
    say(f"cockpit: first region after {every:.2f} s ({alone:.2f} s on one region alone); "
        f"one aws-cli call {call:.2f} s")
    return every, alone, call


def contain(moto):
    """1,000 functions over every enabled region contained by firebreak and by a sequential
    boto3 loop doing the same calls, each on a freshly seeded estate, under throttling."""
    results = {}
    for who in ("firebreak", "sequential"):
        moto.reset()
        estate = seed(moto, "contain", str(CONTAIN_FUNCTIONS))
        proxy = Proxy(moto, CONTAIN_THROTTLE)
        if who == "firebreak":
            out = WORK / "contain.json"
            with open(out, "w") as stdout:
                wall, _ = timed(firebreak("--endpoint-url", proxy.url, "act", "contain-functions",
                                          "--unknown", "--execute", "--format", "json"),
                                stdout=stdout, allowed=(0, EXIT_PARTIAL, EXIT_STEP_FAILED))
            failed, steps = analysis.failed_steps(json.loads(out.read_text()))
        else:
            # One call after another costs the same for every function: the first SAMPLE are
            # timed and the time scaled, so a run does not spend a quarter of an hour here.
            sample = min(int(os.environ.get("BENCH_SEQUENTIAL_SAMPLE", "100")), CONTAIN_FUNCTIONS)
            wall, _ = timed([PYTHON, str(HERE / "peers/contain_sequential.py"), proxy.url,
                             str(sample)])
            wall *= CONTAIN_FUNCTIONS / sample
            failed, steps = None, None
        requests, injected = proxy.finish()
        results[who] = dict(wall=wall, requests=len(requests), throttled=len(injected),
                            failed=failed, steps=steps, regions=estate["regions"],
                            functions=estate["functions"], sample=sample if who == "sequential" else None)
        say(f"contain ({who}): {wall:.1f} s, {len(requests)} requests, {len(injected)} throttled")
    return results


def memory():
    """Peak RSS of the scan command's fold, judgement and report at 100,000 resources."""
    out = subprocess.run([MEMORY, "100000"], check=True, capture_output=True, text=True).stdout
    measured = json.loads(out)
    say(f"memory: {measured}")
    return dict(rss=measured["peak_rss_mib"],
                detail=f"{measured['resources']} resources, {measured['findings']} findings, "
                       f"{measured['report_bytes'] / 2**20:.0f} MiB of JSON report "
                       "(bench_memory: the scan's fold, judgement and report, no emulator)")


def render():
    """The criterion render benchmark's estimates (run.sh runs it first): 100k rows ÷ 100."""
    found = {}
    for estimates in Path(CRITERION).glob("**/new/estimates.json"):
        rows = re.findall(r"\d+", estimates.parent.parent.name)
        if rows:
            found[int(rows[-1])] = json.loads(estimates.read_text())["mean"]["point_estimate"]
    if len(found) < 2:
        return None
    small, large = min(found), max(found)
    return dict(ratio=found[large] / found[small],
                detail=f"{found[small] / 1000:.0f} µs at {small} rows, "
                       f"{found[large] / 1000:.0f} µs at {large} rows (criterion mean)")


def main():
    only = os.environ.get("BENCH_ONLY")
    if only in ("contain", "cockpit"):
        # One measure alone, its logs kept: for profiling.
        moto = Moto()
        try:
            if only == "cockpit":
                seed(moto, SIZE)
            print(contain(moto) if only == "contain" else cockpit(moto), WORK)
        finally:
            moto.stop()
        return
    moto = Moto()
    try:
        say(f"seeding the {SIZE} estate")
        estate = seed(moto, SIZE)
        say(f"seeded: {estate}")
        scans, report = scan_runs(moto)
        boto3_walls, boto3_counts = peer_runs(
            moto, lambda url: [PYTHON, str(HERE / "peers/boto3_scan.py"), url],
            max(1, RUNS // 2), "boto3 16 threads")
        cli_wall, cli_calls, cli_note = awscli(moto, estate)
        tui_first, tui_alone, cli_one = cockpit(moto)
        # The containment measure does not depend on the estate's size: BENCH_SKIP_CONTAIN=1
        # leaves it out (its row then says so).
        contained = None if os.environ.get("BENCH_SKIP_CONTAIN") else contain(moto)
    finally:
        moto.stop()
    rows = analysis.table(SIZE, estate, scans, report, boto3_walls, boto3_counts, cli_wall,
                          cli_calls, cli_note, (tui_first, tui_alone), cli_one, contained, LATENCY_MS,
                          render(), memory())
    print(rows)
    if os.environ.get("BENCH_KEEP"):
        say(f"logs and reports kept in {WORK}")
    else:
        shutil.rmtree(WORK, ignore_errors=True)


main()
