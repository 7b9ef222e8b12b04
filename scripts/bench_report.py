#!/usr/bin/env python3
"""The numbers and the report of scripts/bench.sh, which measures and passes what it measured here.

    python3 scripts/bench_report.py agree ...    the raw path and the worker agree (else exit 1)
    python3 scripts/bench_report.py same ...     two `kpis --json` files are equal, every field (else exit 1)
    python3 scripts/bench_report.py report ...   computes a, b, b′, c, c′, d, e, f, g; prints the table;
                                                 with --record DOC also appends the run to DOC

`report` takes the (a) poll's first and last observations, the raw path's three timestamps, the
worker's peak RSS and two scrapes of /metrics (the warm-up one and the final one), and computes:
  a  worker throughput: (events applied at the end - at the first poll that saw any) /
     (last commit - commit seen at that first poll);
  b  raw limit: valid events / (COPY + chunks), and per chunks alone;
  b′ core raw limit (applied_events and orders only, --core-times): the same two rates;
  c  a/b, and c′ a/b′;
  d  publish→commit p50/p99 by linear interpolation inside the histogram's buckets (the max from
     the max gauge), for the whole phase and for what came after the warm-up (d′);
  e  peak RSS;
  f  two workers of one group (--two-poll, the phase's poll file): their combined rate, computed
     as a, and the lock waits sampled by that poll between its first commit and the end;
  g  CPU seconds of the worker and of PostgreSQL during (a), and the elapsed seconds.
The rows b′, c′, f and g appear only when their options are given. --postgres-settings (what
the server said to SHOW fsync, synchronous_commit, full_page_writes) labels the run durable or
unsafe in the report and the record.
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
    if len(raw_print) != 4:
        problems.append(f"the raw fingerprint has {len(raw_print)} fields, not 4: {args.raw_fingerprint!r}")
    else:
        if int(raw_print[0]) != args.valid:
            problems.append(f"raw applied_events {raw_print[0]} != {args.valid}")
        if raw_print[3] != args.worker_md5:
            problems.append(f"orders differ: md5 raw {raw_print[3]}, worker {args.worker_md5}")
        if args.core_counts is not None:
            core = args.core_counts.split()
            if len(core) != 2:
                problems.append(f"the core counts have {len(core)} fields, not 2: {args.core_counts!r}")
            else:
                if int(core[0]) != args.valid:
                    problems.append(f"core applied_events {core[0]} != {args.valid}")
                if core[1] != raw_print[2]:
                    problems.append(f"core orders {core[1]} != raw orders {raw_print[2]}")
    for problem in problems:
        print("MISMATCH " + problem, file=sys.stderr)
    if problems:
        return 1
    print("worker and raw KPIs agree: " + ", ".join(f"{k}={worker[k]}" for k in
          ("orders_created", "payments_captured", "active_customers", "events_applied")))
    return 0


def same(args) -> int:
    """Two `kpis --json` outputs are equal, every field (the two-worker phase against (a))."""
    expected = json.load(open(args.expected))
    actual = json.load(open(args.actual))
    problems = [f"{key}: expected {expected.get(key)!r}, got {actual.get(key)!r}"
                for key in sorted(set(expected) | set(actual)) if expected.get(key) != actual.get(key)]
    for problem in problems:
        print(f"MISMATCH {args.what}: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{args.what}: the same KPIs ({len(expected)} fields)")
    return 0


# ---------------------------------------------------------------- report: the numbers

@dataclass
class Histogram:
    buckets: list[tuple[float, float]]  # (upper bound, cumulative count), sorted
    count: float | None
    maximum: float | None


def read_histogram(path: str, name: str = "orderstream_publish_to_commit") -> Histogram:
    """`<name>_seconds` and its max gauge (`<name>_max_seconds`, when there is one) from a
    /metrics scrape."""
    buckets, count, maximum = [], None, None
    for line in open(path):
        m = re.match(name + r'_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            buckets.append((INF if m.group(1) == "+Inf" else float(m.group(1)), float(m.group(2))))
        m = re.match(name + r"_seconds_count (\S+)", line)
        if m:
            count = float(m.group(1))
        m = re.match(name + r"_max_seconds (\S+)", line)
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


def durability(settings: str | None) -> str:
    """'durable (fsync=on, …)' or 'unsafe (…)' from 'fsync=on synchronous_commit=on full_page_writes=on'."""
    if not settings:
        return "settings not given"
    values = dict(pair.split("=", 1) for pair in settings.split())
    listed = ", ".join(f"{k}={v}" for k, v in values.items())
    durable = (values.get("fsync") == "on" and values.get("full_page_writes") == "on"
               and values.get("synchronous_commit", "off") != "off")
    if durable:
        return f"durable: {listed}"
    if all(values.get(k) == "off" for k in ("fsync", "synchronous_commit", "full_page_writes")):
        return f"unsafe (--unsafe): {listed}"
    return f"not durable: {listed}"


@dataclass
class TwoWorkers:
    rate: float
    span: float
    samples: int
    samples_with_waits: int
    max_ungranted: int
    max_waiting: int


def read_two_poll(path: str, messages: int) -> TwoWorkers:
    """The two-worker phase's poll: 'now consumed last_commit events ungranted_locks lock_waiters'
    per 0.1 s. The rate as in (a), from the first row that saw a commit to the first row with
    every message consumed (one snapshot each); the lock samples of the same rows."""
    rows = []
    for line in open(path):
        fields = line.split()
        if len(fields) == 6:
            rows.append([float(fields[0]), int(fields[1]), float(fields[2]), int(fields[3]), int(fields[4]),
                         int(fields[5])])
    first = next((i for i, row in enumerate(rows) if row[1] > 0 and row[2] > 0), None)
    end = next((i for i, row in enumerate(rows) if row[1] == messages), None)
    if first is None or end is None:
        raise ValueError(f"(f): the poll {path} has no first commit or no row with all {messages} messages")
    span = rows[end][2] - rows[first][2]
    if span <= 0.5:
        raise ValueError(f"(f) lasted only {span:.3f} s between the first and last observed commits: "
                         "use more messages")
    window = rows[first:end + 1]
    return TwoWorkers(
        rate=(rows[end][3] - rows[first][3]) / span, span=span, samples=len(window),
        samples_with_waits=sum(1 for row in window if row[4] > 0 or row[5] > 0),
        max_ungranted=max(row[4] for row in window), max_waiting=max(row[5] for row in window))


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
    extra = {}
    # The part of publish→commit spent inside the worker (a lane's wait, then the apply), from
    # the same scrape; a worker older than the metric has none. No max gauge: bounded by (d)'s.
    inside = read_histogram(args.metrics, "orderstream_fetch_to_commit")
    if inside.buckets and inside.count:
        extra.update({"IP50": f"{min(quantile(0.5, inside.buckets, inside.count, maximum), maximum) * 1000:.1f}",
                      "IP99": f"{min(quantile(0.99, inside.buckets, inside.count, maximum), maximum) * 1000:.1f}",
                      "ICOUNT": f"{int(inside.count)}"})
    if args.core_times:
        c0, c1, c2 = args.core_times
        core = args.valid / (c2 - c0)
        core_chunks = args.valid / (c2 - c1)
        extra.update({"CORE": f"{core:.0f}", "CORECOPY": f"{c1 - c0:.2f}", "CORECHUNKS": f"{c2 - c1:.2f}",
                      "COREC": f"{core_chunks:.0f}", "RATIOCORE": f"{a / core:.3f}",
                      "RATIOCOREC": f"{a / core_chunks:.3f}"})
    if args.two_poll:
        two = read_two_poll(args.two_poll, args.messages)
        extra.update({"TWO": f"{two.rate:.0f}", "TWOSPAN": f"{two.span:.2f}", "TWORATIO": f"{two.rate / a:.2f}",
                      "TWOOWNED": " + ".join(str(n) for n in args.two_owned or []) or "?",
                      "TWOLAST": args.two_last_commits or "?",
                      "WAITS": str(two.samples_with_waits), "SAMPLES": str(two.samples),
                      "MAXUNGRANTED": str(two.max_ungranted), "MAXWAITING": str(two.max_waiting)})
    if args.worker_cpu_seconds is not None and args.postgres_cpu_seconds is not None and args.a_elapsed_seconds:
        elapsed = args.a_elapsed_seconds
        extra.update({"WCPU": f"{args.worker_cpu_seconds:.2f}", "PCPU": f"{args.postgres_cpu_seconds:.2f}",
                      "ELAPSED": f"{elapsed:.2f}", "WCORES": f"{args.worker_cpu_seconds / elapsed:.2f}",
                      "PCORES": f"{args.postgres_cpu_seconds / elapsed:.2f}"})
    if args.d_cpu_seconds:
        broker, worker, postgres, idle, steal, elapsed = args.d_cpu_seconds
        extra.update({"DELAPSED": f"{elapsed:.2f}"} | {
            name: f"{seconds:.2f} s ({seconds / elapsed:.2f} cores)" for name, seconds in
            [("DBROKER", broker), ("DWORKER", worker), ("DPOSTGRES", postgres), ("DIDLE", idle), ("DSTEAL", steal)]})
    return extra | {
        "A": f"{a:.0f}", "AM": f"{a_messages:.0f}", "SPAN": f"{span:.2f}",
        "B": f"{b:.0f}", "BC": f"{b_chunks:.0f}", "COPY": f"{copy_s:.2f}", "CHUNKS": f"{chunks_s:.2f}",
        "RATIO": f"{a / b:.3f}", "RATIOC": f"{a / b_chunks:.3f}",
        "P50": f"{p50 * 1000:.1f}", "P99": f"{p99 * 1000:.1f}", "MAX": f"{maximum * 1000:.1f}",
        "COUNT": f"{int(final.count)}", "RSS": f"{args.peak_rss_kb / 1024:.0f}",
        "SP50": f"{steady_p50 * 1000:.1f}", "SP99": f"{steady_p99 * 1000:.1f}",
        "SMAX": f"{steady_max_bound * 1000:.0f}", "SCOUNT": f"{int(steady_count)}",
    }


def table(r: dict[str, str], args) -> str:
    rows = [
        "| | measure | value |",
        "|---|---|---|",
        f"| a | worker throughput (1 worker, release) | **{r['A']} events/s** ({r['AM']} messages/s; {r['SPAN']} s "
        "from the first to the last commit) |",
        f"| b | raw limit: COPY + 1 INSERT … SELECT per {args.chunk} rows | **{r['B']} events/s** (COPY {r['COPY']} s "
        f"+ chunks {r['CHUNKS']} s; chunks alone {r['BC']} events/s) |",
    ]
    if "CORE" in r:
        rows.append(f"| b′ | core raw limit (applied_events + orders only, no KPI tables): COPY + 1 INSERT … SELECT per "
                    f"{args.chunk} rows | **{r['CORE']} events/s** (COPY {r['CORECOPY']} s + chunks {r['CORECHUNKS']} s; "
                    f"chunks alone {r['COREC']} events/s) |")
    rows.append(f"| c | a/b | **{r['RATIO']}** (against chunks alone: {r['RATIOC']}) |")
    if "CORE" in r:
        rows.append(f"| c′ | a/b′ | **{r['RATIOCORE']}** (against chunks alone: {r['RATIOCOREC']}) |")
    rows += [
        f"| d | publish→commit at {args.rate} events/s for {args.duration} s ({r['COUNT']} events) | p50 "
        f"**{r['P50']} ms**, p99 **{r['P99']} ms**, max **{r['MAX']} ms** |",
        f"| d′ | the same after the first {args.warmup} s of the stream ({r['SCOUNT']} events) | p50 **{r['SP50']} ms**, "
        f"p99 **{r['SP99']} ms**, max ≤ **{r['SMAX']} ms** (bucket bound) |",
    ]
    if "IP50" in r:
        rows.append(f"| d″ | of (d), the part inside the worker: fetch→commit ({r['ICOUNT']} events; the rest is the "
                    f"producer, the broker and the fetch) | p50 **{r['IP50']} ms**, p99 **{r['IP99']} ms** |")
    rows.append(f"| e | worker peak RSS (VmHWM at the end of a) | **{r['RSS']} MB** |")
    if "TWO" in r:
        rows.append(f"| f | two workers of one group (fresh database, same preload) | **{r['TWO']} events/s** "
                    f"({r['TWORATIO']} × a; {r['TWOSPAN']} s; partitions owned {r['TWOOWNED']}; last commits by "
                    f"{r['TWOLAST']}); lock waits in **{r['WAITS']} of {r['SAMPLES']}** 0.1 s samples, max "
                    f"{r['MAXUNGRANTED']} ungranted locks, max {r['MAXWAITING']} backends waiting on a lock |")
    if "WCPU" in r:
        rows.append(f"| g | CPU during a ({r['ELAPSED']} s from the worker's start to the last apply) | worker "
                    f"**{r['WCPU']} s** ({r['WCORES']} cores), PostgreSQL **{r['PCPU']} s** ({r['PCORES']} cores) |")
    if "DELAPSED" in r:
        rows.append(f"| g′ | CPU during d ({r['DELAPSED']} s from the load's start to the last apply; the rest is the "
                    f"load generator and the machine's other processes) | embedded broker **{r['DBROKER']}**, worker "
                    f"**{r['DWORKER']}**, PostgreSQL **{r['DPOSTGRES']}**; idle {r['DIDLE']}, stolen by the host "
                    f"{r['DSTEAL']} |")
    return "\n".join(rows)


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
        f"PostgreSQL {args.postgres_version} (scripts/testdb.sh; {postgres_label(args)}), librdkafka {rdkafka} (embedded mock broker), {swift}",
        f"- load: {args.messages} messages ({args.valid} distinct valid, {args.duplicates} duplicates, {args.invalid} "
        f"invalid) from {args.orders} orders, seed {args.seed}, {args.partitions} partitions per topic; preload took "
        f"{args.preload_seconds} s{preload_producer(args)}; latency phase: {args.latency_messages} messages",
        "",
        body,
    ]
    with open(args.record, "a") as doc:
        doc.write("\n".join(entry) + "\n")


def preload_producer(args) -> str:
    """The preload producer's linger.ms, when bench.sh passed it (runs before 2026-12-04 used 5)."""
    return "" if args.preload_linger_ms is None else f" (producer linger.ms={args.preload_linger_ms})"


def postgres_label(args) -> str:
    label = durability(args.postgres_settings)
    return label + ("; pg_stat_statements loaded" if args.pg_stat_statements else "")


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
    if args.postgres_settings:
        print(f"PostgreSQL: {postgres_label(args)}")
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
                   help="'applied_events customer_minutes orders md5' of the raw database")
    a.add_argument("--worker-md5", required=True, help="the md5 of the preload's orders in the worker's database")
    a.add_argument("--core-counts", help="'applied_events orders' of the core raw path's database")
    a.set_defaults(run=agree)

    s = commands.add_parser("same", help="two `kpis --json` outputs are equal, every field (exit 1 when not)")
    s.add_argument("--expected", required=True, help="`orderstream kpis --json` of the reference")
    s.add_argument("--actual", required=True, help="`orderstream kpis --json` to compare with it")
    s.add_argument("--what", default="KPIs", help="what is compared, for the messages")
    s.set_defaults(run=same)

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
    r.add_argument("--core-times", type=float, nargs=3, metavar=("T0", "T1", "T2"),
                   help="(b′): the core raw path's three timestamps, as --raw-times")
    r.add_argument("--postgres-settings",
                   help="'fsync=V synchronous_commit=V full_page_writes=V' as the server showed them")
    r.add_argument("--pg-stat-statements", action="store_true", help="pg_stat_statements was loaded")
    r.add_argument("--worker-cpu-seconds", type=float, help="(g): the worker's utime+stime at the end of (a)")
    r.add_argument("--postgres-cpu-seconds", type=float, help="(g): PostgreSQL's utime+stime during (a)")
    r.add_argument("--a-elapsed-seconds", type=float, help="(g): the wall time those CPU seconds were measured over")
    r.add_argument("--d-cpu-seconds", type=float, nargs=6,
                   metavar=("BROKER", "WORKER", "POSTGRES", "IDLE", "STEAL", "ELAPSED"),
                   help="(g′): CPU seconds during (d) of the embedded broker, the worker and PostgreSQL, the "
                        "machine's idle and stolen seconds (all cores), and the wall time they were measured over")
    r.add_argument("--two-poll", help="(f): the two-worker phase's poll file")
    r.add_argument("--two-owned", type=int, nargs=2, metavar=("N1", "N2"),
                   help="(f): partitions owned by each worker once both were in")
    r.add_argument("--two-last-commits", help="(f): 'instance:partitions ...' of last_commit_by at the end")
    r.add_argument("--record", metavar="DOC", help="append the run to DOC (docs/BENCHMARKS.md)")
    r.add_argument("--command-line", default="bash scripts/bench.sh", help="the command, for the record")
    r.add_argument("--load-before", default="?", help="the load average before the run, for the record")
    r.add_argument("--postgres-version", default="?", help="SHOW server_version, for the record")
    r.add_argument("--seed", type=int, default=1, help="the preload's seed, for the record")
    r.add_argument("--preload-seconds", default="?", help="how long the preload took, for the record")
    r.add_argument("--preload-linger-ms", type=int, help="linger.ms of the preload's producer, for the record")
    r.add_argument("--latency-messages", default="?", help="messages of (d), for the record")
    r.set_defaults(run=report)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
