#!/usr/bin/python3
"""Merges the benchmark's JSON files (tests/bench/run.sh) into OUT_DIR/report.json and prints
the tables (Markdown) with the issue's targets checked.

Usage: report.py OUT_DIR
"""
import json
import os
import platform
import subprocess
import sys

OUT = sys.argv[1]


def load(name):
    with open(os.path.join(OUT, name)) as f:
        return json.load(f)


engine, python, server, e2e, jobs = (load(n) for n in ("engine.json", "python.json",
                                                       "server.json", "e2e.json", "jobs.json"))
# The Python module's figures, when the build has the module.
api = load("python_api.json") if os.path.exists(os.path.join(OUT, "python_api.json")) else None


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def package_version(name):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True,
                              text=True).stdout or "?"
    except OSError:
        return "?"


machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "kernel": platform.release(),
           "opencv": engine["opencv"], "libturbojpeg": package_version("libturbojpeg0")}

rows = []
for s in engine["scenarios"]:
    label = s["input"].split()[0]
    ms = s["median_ms"]
    row = {"scenario": s["scenario"], "input": s["input"], **{k + "_ms": v for k, v in ms.items()},
           "python_ms": python.get("%s %s" % (s["scenario"], label if label != "8" else "224")),
           "hbprep_faults_per_image": s["median_minor_faults"]["hbprep"]}
    if "psnr_db" in s:
        row["psnr_db"] = s["psnr_db"]
    rows.append(row)


def fmt(value, digits=2):
    return "-" if value is None else ("%.*f" % (digits, value))


print("\n## Engine, one thread, median ms per image (%s; %d cores)\n" % (machine["cpu"],
                                                                        machine["cores"]))
print("| scenario | input | hbprep | hbprep fast | OpenCV C++ | Python | floor | hbprep / floor "
      "| fast / floor | hbprep / OpenCV | Python / hbprep |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    fast = r.get("hbprep_fast_ms")
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        r["scenario"], r["input"], fmt(r["hbprep_ms"], 3), fmt(fast, 3), fmt(r["opencv_ms"], 3),
        fmt(r["python_ms"], 3), fmt(r["floor_ms"], 3), fmt(r["hbprep_ms"] / r["floor_ms"]),
        fmt(fast / r["floor_ms"] if fast else None), fmt(r["hbprep_ms"] / r["opencv_ms"]),
        fmt(r["python_ms"] / r["hbprep_ms"] if r["python_ms"] else None, 1)))

board = engine["board_pipeline"]
print("\n## Board pipeline: 1080p camera NV12 (Y and UV apart, 2048-byte rows) into caller "
      "tensors, median ms\n")
print("| scenario | core (PrepareInto) | floor (libyuv) | core / floor | today (Prepare + "
      "PackStrided) | today / core | allocations per frame | bytes allocated per frame | calls/s "
      "1 thread | calls/s all cores |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name in board:
    b = board[name]
    print("| %s | %.3f | %.3f | %.2f | %.3f | %.2f | %g | %g | %.0f | %.0f (%d threads) |" % (
        name, b["ms"], b["floor_ms"], b["ms"] / b["floor_ms"], b["today_ms"],
        b["today_ms"] / b["ms"], b["allocs_per_frame"], b["alloc_bytes_per_frame"],
        b["calls_per_s_1_thread"], b["calls_per_s_all_cores"], b["threads"]))

print("\n## Server, 1080p JPEG, load generator on the same machine\n")
print("| scenario | transport | concurrency | images/s | p50 ms | p99 ms | server CPU ms/img | "
      "/ engine | client CPU ms/img | minor faults/req |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in server["levels"]:
    print("| %s | %s | %d | %.0f | %.2f | %.2f | %.2f | %.3f | %.2f | %.1f |" % (
        r["scenario"], r["transport"], r["concurrency"], r["throughput_per_s"], r["p50_ms"],
        r["p99_ms"], r["server_cpu_ms_per_image"], r["server_vs_engine_cpu"],
        r["client_cpu_ms_per_image"], r["server_minor_faults_per_request"]))
m = server["memory"]
print("\n64 concurrent 1080p requests: RSS %.0f MiB before, peak %.0f MiB." %
      (m["rss_before_mib"], m["peak_rss_mib"]))
print("\nEnd to end: %s: hbprep %.0f ms, the user's numpy/OpenCV script %.0f ms (x%.2f); same Y "
      "planes: %s." % (e2e["scenario"], e2e["hbprep_ms"], e2e["python_ms"], e2e["ratio"],
                       e2e["same_y_planes"]))
print("\n`hbprep prepare --jobs`: %d x 1080p JPEG -> cls_pyramid, whole process: --jobs 1 %.0f "
      "images/s, --jobs 2 %.0f images/s (x%.2f, %d cores, load average %.2f before, %.2f "
      "after); same files: %s." % (
          jobs["images"], jobs["images_per_s_1"], jobs["images_per_s_2"], jobs["speedup"],
          jobs["cores"], jobs["load_average_before"], jobs["load_average_after"],
          jobs["same_output"]))

if api:
    ms, cpu = api["median_ms"], api["median_thread_cpu_ms"]
    print("\n## Python module (`import hbprep`): %s, median ms per image\n" % api["scenario"])
    print("| contender | wall ms | thread CPU ms | / module |")
    print("|---|---|---|---|")
    rows_api = [("C++ engine (Prepare, in the same process)", "engine", "module_alone"),
                ("model.prepare", "module_alone", "module_alone"),
                ("model.prepare_into (caller arrays)", "module_prepare_into", "module_alone"),
                ("model.prepare, beside the pipelines below", "module", "module"),
                ("gRPC client, hbprep-server on a unix socket", "grpc_client_unix", "module"),
                ("the user's numpy/OpenCV script", "user_script", "module"),
                ("Horizon's transformers (ShortSideResize, CenterCrop, BGR2NV12)",
                 "horizon_transformers", "module")]
    for label, key, base in rows_api:
        print("| %s | %.3f | %.3f | %.2f |" % (label, ms[key], cpu[key], ms[key] / ms[base]))
    print("\nmodel.prepare on 2 Python threads: %.0f images/s against %.0f on 1 (x%.2f, %d cores, "
          "load average %.2f before, %.2f after); the same planes as Horizon's pipeline: %s, as "
          "the gRPC client's: %s." % (
              api["images_per_s_2_threads"], api["images_per_s_1_thread"],
              api["threads_speedup"], api["cores"], api["load_average_before"],
              api["load_average_after"], api["same_as_horizon_pipeline"],
              api["same_as_grpc_client"]))


def find(name, label):
    return next(r for r in rows if r["scenario"] == name and r["input"].startswith(label))


targets = []


def target(what, value, ok):
    targets.append({"target": what, "value": value, "met": bool(ok)})


for label in ("1080p", "4k"):
    r = find("jpeg_to_pyramid224", label)
    exact, fast = r["hbprep_ms"] / r["floor_ms"], r["hbprep_fast_ms"] / r["floor_ms"]
    target("JPEG %s -> pyramid 224, exact <= 1.10 x decode floor" % label, round(exact, 3),
           exact <= 1.10)
    target("JPEG %s -> pyramid 224, fast <= 0.85 x decode floor" % label, round(fast, 3),
           fast <= 0.85)
    p = r["psnr_db"]
    target("JPEG %s fast PSNR >= exact PSNR against full decode + INTER_AREA + calc (NV12; "
           "Y and UV apart for information)" % label,
           "fast %.2f dB (Y %.2f, UV %.2f), exact %.2f dB (Y %.2f, UV %.2f)" % (
               p["hbprep_fast"]["nv12"], p["hbprep_fast"]["y"], p["hbprep_fast"]["uv"],
               p["hbprep"]["nv12"], p["hbprep"]["y"], p["hbprep"]["uv"]),
           p["hbprep_fast"]["nv12"] >= p["hbprep"]["nv12"])
r = find("nv12_to_pyramid224", "1080p")
target("NV12 1080p -> pyramid 224 >= 10 x faster than Python", round(r["python_ms"] / r["hbprep_ms"], 1),
       r["python_ms"] / r["hbprep_ms"] >= 10)
for recipe in ("opencv", "calc"):
    r = find("bgr_to_resizer_nv12_" + recipe, "1080p")
    ratio = r["hbprep_ms"] / r["opencv_ms"]
    target("BGR 1080p -> NV12 (%s) <= 1.0 x OpenCV C++ (aim 0.7)" % recipe, round(ratio, 3),
           ratio <= 1.0)
b = board["pyramid224"]
target("board pipeline: camera NV12 -> pyramid 224 into strided tensors <= 1.2 x libyuv NV12Scale",
       round(b["ms"] / b["floor_ms"], 3), b["ms"] / b["floor_ms"] <= 1.2)
b = board["resizer_full"]
target("board pipeline: camera NV12 -> full-size resizer input <= 1.1 x a strided copy",
       round(b["ms"] / b["floor_ms"], 3), b["ms"] / b["floor_ms"] <= 1.1)
target("board pipeline: resizer input >= 3 x faster than Prepare + PackStrided",
       round(b["today_ms"] / b["ms"], 2), b["today_ms"] / b["ms"] >= 3)
for name in board:
    b = board[name]
    target("board pipeline %s: no allocation per frame" % name,
           "%g allocations, %g bytes" % (b["allocs_per_frame"], b["alloc_bytes_per_frame"]),
           b["allocs_per_frame"] == 0)
worst = max(l["server_vs_engine_cpu"] for l in server["levels"]
            if l["scenario"] == "jpeg_to_pyramid224")
target("server CPU per image <= 1.15 x engine (JPEG -> pyramid 224, worst level)", round(worst, 3),
       worst <= 1.15)
target("hbprep prepare >= 10% faster than the user's script", round(e2e["ratio"], 3),
       e2e["ratio"] <= 0.9)
target("hbprep prepare --jobs 2 >= 1.8 x the images/s of --jobs 1 (1080p JPEG; needs 2 free "
       "cores)", round(jobs["speedup"], 3), jobs["speedup"] >= 1.8 and jobs["same_output"])
if api:
    target("model.prepare <= 1.05 x the C++ engine (1080p JPEG -> pyramid 224, wall; thread CPU "
           "x%.3f)" % api["module_vs_engine_cpu"], round(api["module_vs_engine"], 3),
           api["module_vs_engine"] <= 1.05)
    target("model.prepare on 2 Python threads >= 1.8 x one (needs 2 free cores)",
           round(api["threads_speedup"], 3), api["threads_speedup"] >= 1.8)

print("\n## Targets\n")
for t in targets:
    print("- [%s] %s: %s" % ("x" if t["met"] else " ", t["target"], t["value"]))
with open(os.path.join(OUT, "report.json"), "w") as f:
    json.dump({"machine": machine, "engine": rows, "board_pipeline": board, "server": server,
               "e2e": e2e, "cli_jobs": jobs, "python_api": api, "targets": targets}, f,
              indent=2)
print("\nwrote %s" % os.path.join(OUT, "report.json"))
