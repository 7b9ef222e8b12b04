#!/usr/bin/env python3
"""The numbers and the report of scripts/bench.sh, which measures and passes what it measured here.

    python3 scripts/bench_report.py agree ...    the raw path and the worker agree (else exit 1)
    python3 scripts/bench_report.py report ...   computes a, b, c, d, e; prints the table; with
                                                 --record DOC also appends the run to DOC

`report` takes the (a) poll's first and last observations, the raw path's three timestamps, the
worker's peak RSS and two scrapes of /metrics (the warm-up one and the final one), and computes:
  a  worker throughput: (events applied at the end - at the first poll that saw any) /
     (last commit - commit seen at that first poll);
  b  raw limit: valid events / (COPY + chunks), and per chunks alone;
  c  a/b;
  d  publish→commit p50/p99 by linear interpolation inside the histogram's buckets (the max from
     the max gauge), for the whole phase and for what came after the warm-up (d′);
  e  peak RSS.
Only the standard library: bench.sh runs it with the system python3.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass

INF = float("inf")


# ---------------------------------------------------------------- agree

def agree(args) -> int:
    """The raw KPIs (and the orders table, and the row counts) must equal the worker's after (a):
    otherwise the comparison would mean nothing."""
    worker = json.load(open(args.worker_kpis))
    raw = json.load(open(args.raw_kpis))
    raw_print = args.raw_fingerprint.split()
    problems = []
    for key in sorted(set(worker) | set(raw)):
        if key in ("events_duplicate", "events_rejected"):
            continue  # the raw path sees distinct valid events only
        if worker.get(key) != raw.get(key):
            problems.append(f"{key}: worker {worker.get(key)!r}, raw {raw.get(key)!r}")
    if worker.get("events_applied") != args.valid:
        problems.append(f"worker events_applied {worker.get('events_applied')} != distinct valid events {args.valid}")
    if worker.get("events_duplicate") != args.duplicates:
        problems.append(f"worker events_duplicate {worker.get('events_duplicate')} != generated duplicates "
                        f"{args.duplicates}")
    if worker.get("events_rejected") != args.invalid:
        problems.append(f"worker events_rejected {worker.get('events_rejected')} != generated invalid {args.invalid}")
    if len(raw_print) != 5:
        problems.append(f"the raw fingerprint has {len(raw_print)} fields, not 5: {args.raw_fingerprint!r}")
    else:
        if int(raw_print[0]) != args.valid:
            problems.append(f"raw applied_events {raw_print[0]} != {args.valid}")
        if raw_print[4] != args.worker_md5:
            problems.append(f"orders differ: md5 raw {raw_print[4]}, worker {args.worker_md5}")
    for problem in problems:
        print("MISMATCH " + problem, file=sys.stderr)
    if problems:
        return 1
    print("worker and raw KPIs agree: " + ", ".join(f"{k}={worker[k]}" for k in
          ("orders_created", "payments_captured", "active_customers", "events_applied")))
    return 0


# ---------------------------------------------------------------- report: the numbers

@dataclass
class Histogram:
    buckets: list[tuple[float, float]]  # (upper bound, cumulative count), sorted
    count: float | None
    maximum: float | None


def read_histogram(path: str) -> Histogram:
    """orderstream_publish_to_commit_seconds and its max gauge from a /metrics scrape."""
    buckets, count, maximum = [], None, None
    for line in open(path):
        m = re.match(r'orderstream_publish_to_commit_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            buckets.append((INF if m.group(1) == "+Inf" else float(m.group(1)), float(m.group(2))))
        m = re.match(r"orderstream_publish_to_commit_seconds_count (\S+)", line)
        if m:
            count = float(m.group(1))
        m = re.match(r"orderstream_publish_to_commit_max_seconds (\S+)", line)
        if m:
            maximum = float(m.group(1))
    return Histogram(sorted(buckets), count, maximum)


def quantile(q: float, buckets: list[tuple[float, float]], count: float, maximum: float) -> float:
    """Linear interpolation inside the bucket that holds rank q * count."""
    rank = q * count
    lower, below = 0.0, 0.0
    for upper, cumulative in buckets:
        if cumulative >= rank:
            if upper == INF:
                return maximum  # beyond the last bucket: the max is the best bound
            inside = cumulative - below
            return lower + (upper - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = upper, cumulative
    return maximum


def compute(args) -> dict[str, str]:
    """The formatted numbers of the table, by name. Raises ValueError when they would mean nothing."""
    span = args.end_commit - args.first_commit
    if span <= 0.5:
        raise ValueError(f"(a) lasted only {span:.3f} s between the first and last observed commits: "
                         "use more messages")
    a = (args.end_events - args.first_events) / span
    a_messages = (args.messages - args.first_messages) / span
    t0, t1, t2 = args.raw_times
    copy_s, chunks_s = t1 - t0, t2 - t1
    b = args.valid / (copy_s + chunks_s)
    b_chunks = args.valid / chunks_s

    final = read_histogram(args.metrics)
    if not final.buckets or not final.count or final.maximum is None:
        raise ValueError("(d): no publish-to-commit histogram or max gauge in /metrics")
    maximum = final.maximum
    warm = read_histogram(args.metrics_warm)
    warm_by_bound = dict(warm.buckets)
    steady_buckets = [(upper, cumulative - warm_by_bound.get(upper, 0.0)) for upper, cumulative in final.buckets]
    steady_count = final.count - (warm.count or 0.0)
    # The max is exact; an interpolated quantile past it only means the bucket is wide.
    p50 = min(quantile(0.5, final.buckets, final.count, maximum), maximum)
    p99 = min(quantile(0.99, final.buckets, final.count, maximum), maximum)
    # After the warm-up: the same interpolation over the bucket differences (no exact max there;
    # the largest non-empty bucket's bound is the honest upper bound).
    if steady_count > 0:
        steady_p50 = min(quantile(0.5, steady_buckets, steady_count, maximum), maximum)
        steady_p99 = min(quantile(0.99, steady_buckets, steady_count, maximum), maximum)
    else:
        steady_p50 = steady_p99 = math.nan
    previous, steady_max_bound = 0.0, 0.0
    for upper, cumulative in steady_buckets:
        if cumulative > previous:
            steady_max_bound = min(upper, maximum)
        previous = cumulative
    return {
        "A": f"{a:.0f}", "AM": f"{a_messages:.0f}", "SPAN": f"{span:.2f}",
        "B": f"{b:.0f}", "BC": f"{b_chunks:.0f}", "COPY": f"{copy_s:.2f}", "CHUNKS": f"{chunks_s:.2f}",
        "RATIO": f"{a / b:.3f}", "RATIOC": f"{a / b_chunks:.3f}",
        "P50": f"{p50 * 1000:.1f}", "P99": f"{p99 * 1000:.1f}", "MAX": f"{maximum * 1000:.1f}",
        "COUNT": f"{int(final.count)}", "RSS": f"{args.peak_rss_kb / 1024:.0f}",
        "SP50": f"{steady_p50 * 1000:.1f}", "SP99": f"{steady_p99 * 1000:.1f}",
        "SMAX": f"{steady_max_bound * 1000:.0f}", "SCOUNT": f"{int(steady_count)}",
    }


def table(r: dict[str, str], args) -> str:
    return "\n".join([
        "| | measure | value |",
        "|---|---|---|",
        f"| a | worker throughput (1 worker, release) | **{r['A']} events/s** ({r['AM']} messages/s; {r['SPAN']} s "
        "from the first to the last commit) |",
        f"| b | raw limit: COPY + 1 INSERT … SELECT per {args.chunk} rows | **{r['B']} events/s** (COPY {r['COPY']} s "
        f"+ chunks {r['CHUNKS']} s; chunks alone {r['BC']} events/s) |",
        f"| c | a/b | **{r['RATIO']}** (against chunks alone: {r['RATIOC']}) |",
        f"| d | publish→commit at {args.rate} events/s for {args.duration} s ({r['COUNT']} events) | p50 "
        f"**{r['P50']} ms**, p99 **{r['P99']} ms**, max **{r['MAX']} ms** |",
        f"| d′ | the same after the first {args.warmup} s of the stream ({r['SCOUNT']} events) | p50 **{r['SP50']} ms**, "
        f"p99 **{r['SP99']} ms**, max ≤ **{r['SMAX']} ms** (bucket bound) |",
        f"| e | worker peak RSS (VmHWM at the end of a) | **{r['RSS']} MB** |",
    ])


# ---------------------------------------------------------------- report: the record in docs/BENCHMARKS.md

def command_output(command: list[str], default: str = "unknown") -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return default
    lines = result.stdout.strip().splitlines()
    return lines[0] if result.returncode == 0 and lines else default


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    memory = "?"
    for line in subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == "Mem:":
            memory = f"{fields[1]} GiB total, {fields[6]} GiB available"
    return f"{len(os.sched_getaffinity(0))} cores ({cpu}), memory {memory}"  # nproc's count


def load_average() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def record(args, body: str) -> None:
    if not os.path.exists(args.record):
        with open(args.record, "w") as doc:
            doc.write("# Benchmarks\n\n## Runs\n")
    rdkafka = command_output(["pkg-config", "--modversion", "rdkafka"])
    swift = command_output(["swift", "--version"], default="")
    entry = [
        "",
        f"### {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}: `{args.command_line}`",
        "",
        f"- machine: {machine()}; load average before the run {args.load_before}, after {load_average()}; "
        f"PostgreSQL {args.postgres_version} (scripts/testdb.sh: fsync, synchronous_commit and full_page_writes "
        f"off), librdkafka {rdkafka} (embedded mock broker), {swift}",
        f"- load: {args.messages} messages ({args.valid} distinct valid, {args.duplicates} duplicates, {args.invalid} "
        f"invalid) from {args.orders} orders, seed {args.seed}, {args.partitions} partitions per topic; preload took "
        f"{args.preload_seconds} s; latency phase: {args.latency_messages} messages",
        "",
        body,
    ]
    with open(args.record, "a") as doc:
        doc.write("\n".join(entry) + "\n")


def report(args) -> int:
    try:
        numbers = compute(args)
    except ValueError as error:
        print(f"bench_report.py: {error}", file=sys.stderr)
        return 1
    body = table(numbers, args)
    print()
    print(f"OrderStream benchmark: {args.messages} messages preloaded ({args.valid} distinct valid, {args.duplicates} "
          f"duplicates, {args.invalid} invalid; {args.orders} orders), {args.partitions} partitions per topic")
    print(body)
    if args.record:
        record(args, body)
    return 0


# ---------------------------------------------------------------- command line

def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)

    a = commands.add_parser("agree", help="the raw path and the worker agree (exit 1 when they do not)")
    a.add_argument("--worker-kpis", required=True, help="`orderstream kpis --json` of the worker's database")
    a.add_argument("--raw-kpis", required=True, help="`orderstream kpis --json` of the raw path's database")
    a.add_argument("--valid", type=int, required=True, help="distinct valid events generated")
    a.add_argument("--duplicates", type=int, required=True, help="duplicates generated")
    a.add_argument("--invalid", type=int, required=True, help="invalid messages generated")
    a.add_argument("--raw-fingerprint", required=True,
                   help="'applied_events kpi_members customer_minutes orders md5' of the raw database")
    a.add_argument("--worker-md5", required=True, help="the md5 of the preload's orders in the worker's database")
    a.set_defaults(run=agree)

    r = commands.add_parser("report", help="computes the numbers, prints the table, optionally records the run")
    r.add_argument("--metrics", required=True, help="/metrics at the end of (d)")
    r.add_argument("--metrics-warm", required=True, help="/metrics after the warm-up of (d)")
    r.add_argument("--first-commit", type=float, required=True, help="(a): last_commit_at at the first poll with data")
    r.add_argument("--end-commit", type=float, required=True, help="(a): the last last_commit_at")
    r.add_argument("--first-events", type=int, required=True, help="(a): events applied at the first poll with data")
    r.add_argument("--end-events", type=int, required=True, help="(a): events applied at the end")
    r.add_argument("--first-messages", type=int, required=True, help="(a): messages consumed at that first poll")
    r.add_argument("--messages", type=int, required=True, help="messages preloaded")
    r.add_argument("--raw-times", type=float, nargs=3, required=True, metavar=("T0", "T1", "T2"),
                   help="(b): before COPY, after COPY, after the last chunk (epoch seconds)")
    r.add_argument("--valid", type=int, required=True, help="distinct valid events")
    r.add_argument("--duplicates", type=int, required=True, help="duplicates generated")
    r.add_argument("--invalid", type=int, required=True, help="invalid messages generated")
    r.add_argument("--orders", type=int, required=True, help="orders generated")
    r.add_argument("--partitions", type=int, required=True, help="partitions per topic")
    r.add_argument("--peak-rss-kb", type=int, required=True, help="(e): VmHWM of the worker at the end of (a)")
    r.add_argument("--rate", type=int, required=True, help="(d): events/s")
    r.add_argument("--duration", type=int, required=True, help="(d): seconds")
    r.add_argument("--warmup", type=int, required=True, help="(d′): seconds of warm-up left out")
    r.add_argument("--chunk", type=int, required=True, help="(b): rows per chunk")
    r.add_argument("--record", metavar="DOC", help="append the run to DOC (docs/BENCHMARKS.md)")
    r.add_argument("--command-line", default="bash scripts/bench.sh", help="the command, for the record")
    r.add_argument("--load-before", default="?", help="the load average before the run, for the record")
    r.add_argument("--postgres-version", default="?", help="SHOW server_version, for the record")
    r.add_argument("--seed", type=int, default=1, help="the preload's seed, for the record")
    r.add_argument("--preload-seconds", default="?", help="how long the preload took, for the record")
    r.add_argument("--latency-messages", default="?", help="messages of (d), for the record")
    r.set_defaults(run=report)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
