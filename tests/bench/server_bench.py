#!/usr/bin/python3
"""The server side of tests/bench: hbprep-server under a Python gRPC load generator on the same
machine (client and server share its cores), over loopback TCP and a unix socket, at
concurrency 1, 2 and 8, for the 1080p JPEG scenarios of hbprep_bench.

Per level, five rounds of REQUESTS requests: throughput, p50/p99 latency, the server
process's CPU time per image from its own accounting (its threads' scheduler run time)
against the in-process engine's (hbprep_bench's median thread CPU time), the load generator's
CPU per image, and the server's minor page faults per request; medians of the rounds (the
latency percentiles over all of them). Then the peak RSS while 64 requests of a 1080p JPEG
arrive at once.

Usage: server_bench.py BUILD_DIR SOURCE_DIR INPUTS_DIR BENCH_JSON OUT.json [REQUESTS]
"""
import json
import os
import resource
import signal
import sys
import threading
import time

import numpy as np

BUILD, SOURCE, INPUTS, BENCH_JSON, OUT = sys.argv[1:6]
REQUESTS = int(sys.argv[6]) if len(sys.argv) > 6 else 120
ROUNDS = 5
sys.path.insert(0, os.path.join(BUILD, "python"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "e2e"))
import grpc  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402
from harness import start_server  # noqa: E402

WORK = os.path.join(os.path.dirname(OUT), "server_bench")
os.makedirs(WORK, exist_ok=True)


def proc_stat(pid):
    """(CPU milliseconds, minor faults) of a process, from its own accounting: its threads'
    scheduler run time in nanoseconds (/proc/PID/task/TID/schedstat; the server's threads
    live as long as it does), and its minor fault count (/proc/PID/stat)."""
    run_ns = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                run_ns += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return run_ns / 1e6, int(fields[7])


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0  # MiB
    return 0.0


def client_cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1e3


def run_level(stub, request, concurrency, requests):
    """`requests` calls from `concurrency` threads; per-call latencies in ms."""
    latencies = []
    lock = threading.Lock()
    errors = []

    def worker(count):
        mine = []
        for _ in range(count):
            start = time.perf_counter()
            try:
                stub.Prepare(request, timeout=120)
            except grpc.RpcError as error:
                errors.append(error.code())
            mine.append((time.perf_counter() - start) * 1e3)
        with lock:
            latencies.extend(mine)

    per = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]
    threads = [threading.Thread(target=worker, args=(n,)) for n in per]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError("requests failed: %s" % errors[:3])
    return latencies


with open(BENCH_JSON) as f:
    bench = json.load(f)
engine_cpu = {s["scenario"]: s["median_cpu_ms"]["hbprep"] for s in bench["scenarios"]
              if s["input"].startswith("1080p JPEG")}

with open(os.path.join(INPUTS, "1080p.jpg"), "rb") as f:
    jpeg = f.read()
scenarios = {"jpeg_to_pyramid224": pb.TARGET_BOARD,
             "jpeg_to_calibration224_f32": pb.TARGET_CALIBRATION}

socket = os.path.join(WORK, "bench.sock")
process, log, port = start_server(BUILD, WORK, "bench", os.path.join(SOURCE, "deploy", "models"),
                                  "--listen", "unix:" + socket, "--queue", "64")
options = [("grpc.max_receive_message_length", 64 << 20),
           ("grpc.max_send_message_length", 64 << 20)]
results = []
try:
    for transport, address in (("tcp", "127.0.0.1:%d" % port), ("unix", "unix:" + socket)):
        channel = grpc.insecure_channel(address, options)
        stub = rpc.InputAdapterStub(channel)
        for name, target in scenarios.items():
            request = pb.PrepareRequest(model_name="cls_pyramid", target=target)
            request.images.add(encoded=jpeg)
            run_level(stub, request, 2, 8)  # warm up: connections, buffers, caches
            for concurrency in (1, 2, 8):
                rounds, latencies = [], []
                for _ in range(ROUNDS):
                    cpu0, faults0 = proc_stat(process.pid)
                    client0 = client_cpu_ms()
                    start = time.perf_counter()
                    latencies += run_level(stub, request, concurrency, REQUESTS)
                    wall = time.perf_counter() - start
                    cpu1, faults1 = proc_stat(process.pid)
                    rounds.append((REQUESTS / wall, (cpu1 - cpu0) / REQUESTS,
                                   (client_cpu_ms() - client0) / REQUESTS,
                                   (faults1 - faults0) / REQUESTS))
                throughput, server_cpu, client_cpu, faults = (
                    float(np.median([r[i] for r in rounds])) for i in range(4))
                row = {"scenario": name, "transport": transport, "concurrency": concurrency,
                       "requests": REQUESTS * ROUNDS, "throughput_per_s": throughput,
                       "p50_ms": float(np.percentile(latencies, 50)),
                       "p99_ms": float(np.percentile(latencies, 99)),
                       "server_cpu_ms_per_image": server_cpu,
                       "engine_cpu_ms_per_image": engine_cpu[name],
                       "server_vs_engine_cpu": server_cpu / engine_cpu[name],
                       "client_cpu_ms_per_image": client_cpu,
                       "server_minor_faults_per_request": faults}
                results.append(row)
                print("server %-27s %-4s c=%d  %6.1f img/s  p50 %6.2f ms  p99 %6.2f ms  "
                      "server CPU %.2f ms/img (engine %.2f, x%.3f)  client CPU %.2f ms/img  "
                      "faults %.1f/req" % (name, transport, concurrency, row["throughput_per_s"],
                                            row["p50_ms"], row["p99_ms"], server_cpu,
                                            engine_cpu[name], row["server_vs_engine_cpu"],
                                            row["client_cpu_ms_per_image"],
                                            row["server_minor_faults_per_request"]), flush=True)
        channel.close()

    # Memory under a burst: 64 requests of a 1080p JPEG at once (the queue admits them all).
    channel = grpc.insecure_channel("unix:" + socket, options)
    stub = rpc.InputAdapterStub(channel)
    request = pb.PrepareRequest(model_name="cls_pyramid", target=pb.TARGET_BOARD)
    request.images.add(encoded=jpeg)
    before = vm(process.pid, "VmRSS")
    with open("/proc/%d/clear_refs" % process.pid, "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    run_level(stub, request, 64, 64)
    memory = {"concurrent_requests": 64, "rss_before_mib": before,
              "peak_rss_mib": vm(process.pid, "VmHWM"), "rss_after_mib": vm(process.pid, "VmRSS")}
    print("server 64 concurrent 1080p requests: RSS %.1f MiB before, peak %.1f MiB, %.1f after"
          % (memory["rss_before_mib"], memory["peak_rss_mib"], memory["rss_after_mib"]))
    channel.close()
finally:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)

with open(OUT, "w") as f:
    json.dump({"levels": results, "memory": memory}, f, indent=2)
