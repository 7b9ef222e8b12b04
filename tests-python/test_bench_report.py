"""scripts/bench_report.py, the numbers and the report of scripts/bench.sh, on a small synthetic run.

The expected numbers are worked out by hand in the comments (and were the same with the Python
that bench.sh carried in a heredoc before the report moved out of bash).
"""
import importlib.util
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("bench_report", ROOT / "scripts" / "bench_report.py")
bench_report = importlib.util.module_from_spec(SPEC)
sys.modules["bench_report"] = bench_report  # its dataclass looks its module up there
SPEC.loader.exec_module(bench_report)

# 100 events: 10 under 5 ms, 40 in (5, 10], 40 in (10, 25], 9 in (25, 50], 1 in (50, 100]; max 80 ms.
METRICS = """# HELP orderstream_publish_to_commit_seconds Publish to commit.
orderstream_publish_to_commit_seconds_bucket{le="0.005"} 10
orderstream_publish_to_commit_seconds_bucket{le="0.01"} 50
orderstream_publish_to_commit_seconds_bucket{le="0.025"} 90
orderstream_publish_to_commit_seconds_bucket{le="0.05"} 99
orderstream_publish_to_commit_seconds_bucket{le="0.1"} 100
orderstream_publish_to_commit_seconds_bucket{le="+Inf"} 100
orderstream_publish_to_commit_seconds_sum 1.5
orderstream_publish_to_commit_seconds_count 100
orderstream_publish_to_commit_max_seconds 0.08
"""
# The first 20 of them, during the warm-up.
WARM = """orderstream_publish_to_commit_seconds_bucket{le="0.005"} 5
orderstream_publish_to_commit_seconds_bucket{le="0.01"} 20
orderstream_publish_to_commit_seconds_bucket{le="0.025"} 20
orderstream_publish_to_commit_seconds_bucket{le="0.05"} 20
orderstream_publish_to_commit_seconds_bucket{le="0.1"} 20
orderstream_publish_to_commit_seconds_bucket{le="+Inf"} 20
orderstream_publish_to_commit_seconds_count 20
orderstream_publish_to_commit_max_seconds 0.02
"""


@pytest.fixture
def run_args(tmp_path):
    (tmp_path / "metrics.txt").write_text(METRICS)
    (tmp_path / "warm.txt").write_text(WARM)
    return ["report", "--metrics", str(tmp_path / "metrics.txt"), "--metrics-warm", str(tmp_path / "warm.txt"),
            # (a): 100,000 events and 118,800 messages in the 10 s between the first and last commits.
            "--first-commit", "1000.25", "--end-commit", "1010.25", "--first-events", "1000", "--end-events", "101000",
            "--first-messages", "1200", "--messages", "120000",
            # (b): COPY 2 s, chunks 4 s for 100,000 valid events.
            "--raw-times", "100", "102", "106", "--valid", "100000", "--duplicates", "3000", "--invalid", "200",
            "--orders", "45000", "--partitions", "48", "--peak-rss-kb", "204800",
            "--rate", "5000", "--duration", "30", "--warmup", "3", "--chunk", "5000"]


def test_report_prints_the_numbers_and_the_table(run_args, capsys):
    assert bench_report.main(run_args) == 0
    out = capsys.readouterr().out
    assert ("OrderStream benchmark: 120000 messages preloaded (100000 distinct valid, 3000 duplicates, 200 invalid; "
            "45000 orders), 48 partitions per topic") in out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows == [
        "| | measure | value |",
        "| a | worker throughput (1 worker, release) | **10000 events/s** (11880 messages/s; 10.00 s from the first "
        "to the last commit) |",
        "| b | raw limit: COPY + 1 INSERT … SELECT per 5000 rows | **16667 events/s** (COPY 2.00 s + chunks 4.00 s; "
        "chunks alone 25000 events/s) |",
        "| c | a/b | **0.600** (against chunks alone: 0.400) |",
        # p50: rank 50 is the top of (5, 10] -> 10 ms; p99: rank 99 the top of (25, 50] -> 50 ms.
        "| d | publish→commit at 5000 events/s for 30 s (100 events) | p50 **10.0 ms**, p99 **50.0 ms**, max "
        "**80.0 ms** |",
        # After the warm-up, 80 events: 5, 25, 40, 9, 1 per bucket. p50: rank 40, 10 into the 40 of
        # (10, 25] -> 13.75 ms; p99: rank 79.2 in (50, 100] -> 60 ms; the largest non-empty bucket 100 ms,
        # capped by the max 80 ms.
        "| d′ | the same after the first 3 s of the stream (80 events) | p50 **13.8 ms**, p99 **60.0 ms**, max ≤ "
        "**80 ms** (bucket bound) |",
        "| e | worker peak RSS (VmHWM at the end of a) | **200 MB** |",
    ]


def test_record_appends_the_run_to_the_document(run_args, tmp_path, capsys):
    doc = tmp_path / "BENCHMARKS.md"
    args = run_args + ["--record", str(doc), "--command-line", "bash scripts/bench.sh --quick --record",
                       "--load-before", "0.10 0.20 0.30", "--postgres-version", "15.18", "--seed", "1",
                       "--preload-seconds", "12.5", "--latency-messages", "150000"]
    assert bench_report.main(args) == 0
    assert bench_report.main(args) == 0
    text = doc.read_text()
    assert text.startswith("# Benchmarks\n\n## Runs\n")
    assert text.count("`bash scripts/bench.sh --quick --record`") == 2
    assert "load average before the run 0.10 0.20 0.30, after " in text
    assert "PostgreSQL 15.18 (scripts/testdb.sh" in text
    assert ("- load: 120000 messages (100000 distinct valid, 3000 duplicates, 200 invalid) from 45000 orders, seed 1, "
            "48 partitions per topic; preload took 12.5 s; latency phase: 150000 messages") in text
    assert text.count("| e | worker peak RSS (VmHWM at the end of a) | **200 MB** |") == 2


def test_record_names_the_preload_producers_linger(run_args, tmp_path, capsys):
    doc = tmp_path / "BENCHMARKS.md"
    args = run_args + ["--record", str(doc), "--preload-seconds", "12.5", "--latency-messages", "150000",
                       "--preload-linger-ms", "100"]
    assert bench_report.main(args) == 0
    assert "preload took 12.5 s (producer linger.ms=100); latency phase: 150000 messages" in doc.read_text()


def test_a_run_too_short_to_measure_fails(run_args, capsys):
    args = list(run_args)
    args[args.index("--end-commit") + 1] = "1000.5"
    assert bench_report.main(args) == 1
    assert "(a) lasted only 0.250 s" in capsys.readouterr().err


def test_no_histogram_fails(run_args, tmp_path, capsys):
    (tmp_path / "metrics.txt").write_text("orderstream_ready 1\n")
    assert bench_report.main(run_args) == 1
    assert "no publish-to-commit histogram" in capsys.readouterr().err


def agree_args(tmp_path, worker, raw, fingerprint="100 80 40 abc", worker_md5="abc"):
    (tmp_path / "worker.json").write_text(json.dumps(worker))
    (tmp_path / "raw.json").write_text(json.dumps(raw))
    return ["agree", "--worker-kpis", str(tmp_path / "worker.json"), "--raw-kpis", str(tmp_path / "raw.json"),
            "--valid", "100", "--duplicates", "3", "--invalid", "2", "--raw-fingerprint", fingerprint,
            "--worker-md5", worker_md5]


KPIS = {"orders_created": 40, "payments_captured": 30, "active_customers": 20, "events_applied": 100}


def test_agree_when_the_raw_path_and_the_worker_have_the_same_kpis(tmp_path, capsys):
    worker = dict(KPIS, events_duplicate=3, events_rejected=2)
    raw = dict(KPIS, events_duplicate=0, events_rejected=0)  # the raw path sees distinct valid events only
    assert bench_report.main(agree_args(tmp_path, worker, raw)) == 0
    assert "worker and raw KPIs agree: orders_created=40" in capsys.readouterr().out


@pytest.mark.parametrize("change, message", [
    ({"raw": {"orders_created": 41}}, "orders_created: worker 40, raw 41"),
    ({"worker": {"events_duplicate": 4}}, "worker events_duplicate 4 != generated duplicates 3"),
    ({"fingerprint": "99 80 40 abc"}, "raw applied_events 99 != 100"),
    ({"fingerprint": "100 250 80 40 abc"}, "the raw fingerprint has 5 fields, not 4"),
    ({"worker_md5": "def"}, "orders differ: md5 raw abc, worker def"),
])
def test_disagreement_is_named_and_fails(tmp_path, capsys, change, message):
    worker = {**KPIS, "events_duplicate": 3, "events_rejected": 2, **change.get("worker", {})}
    raw = {**KPIS, **change.get("raw", {})}
    args = agree_args(tmp_path, worker, raw, fingerprint=change.get("fingerprint", "100 80 40 abc"),
                      worker_md5=change.get("worker_md5", "abc"))
    assert bench_report.main(args) == 1
    assert "MISMATCH " + message in capsys.readouterr().err


def test_the_core_path_must_have_as_many_events_and_orders_as_the_raw_path(tmp_path, capsys):
    worker = dict(KPIS, events_duplicate=3, events_rejected=2)
    raw = dict(KPIS)
    assert bench_report.main(agree_args(tmp_path, worker, raw) + ["--core-counts", "100 40"]) == 0
    assert bench_report.main(agree_args(tmp_path, worker, raw) + ["--core-counts", "99 41"]) == 1
    err = capsys.readouterr().err
    assert "MISMATCH core applied_events 99 != 100" in err
    assert "MISMATCH core orders 41 != raw orders 40" in err


def test_same_compares_every_field(tmp_path, capsys):
    (tmp_path / "a.json").write_text(json.dumps(dict(KPIS, events_duplicate=3)))
    (tmp_path / "b.json").write_text(json.dumps(dict(KPIS, events_duplicate=3)))
    (tmp_path / "c.json").write_text(json.dumps(dict(KPIS, events_duplicate=4, extra=1)))
    same = ["same", "--expected", str(tmp_path / "a.json"), "--what", "two workers"]
    assert bench_report.main(same + ["--actual", str(tmp_path / "b.json")]) == 0
    assert "two workers: the same KPIs (5 fields)" in capsys.readouterr().out
    assert bench_report.main(same + ["--actual", str(tmp_path / "c.json")]) == 1
    err = capsys.readouterr().err
    assert "MISMATCH two workers: events_duplicate: expected 3, got 4" in err
    assert "MISMATCH two workers: extra: expected None, got 1" in err


# The two-worker phase's poll: now, consumed, last commit, events, ungranted locks, lock waiters.
# Nothing yet, then the first commit at 2000.0 (500 events), waits in two of the five rows of the
# window, everything (120000 messages, 60500 events) at the commit 2005.0; a row after the end
# (with a wait) and a broken line are left out.
TWO_POLL = """1999.9 0 0 0 0 0
2000.1 600 2000.0 500 0 0
2001.1 30000 2001.0 15000 2 2
2002.1 60000 2002.0 30000 0 0
2003.1 90000 2003.0 45000 1 0
2005.1 120000 2005.0 60500 0 0
2005.2 120000 2005.0 60500 3 3
2005.3 12
"""


@pytest.fixture
def full_args(run_args, tmp_path):
    (tmp_path / "poll-two.txt").write_text(TWO_POLL)
    return run_args + ["--core-times", "200", "201", "204",
                       "--postgres-settings", "fsync=on synchronous_commit=on full_page_writes=on",
                       "--pg-stat-statements", "--worker-cpu-seconds", "9.5", "--postgres-cpu-seconds", "6.25",
                       "--a-elapsed-seconds", "12.5", "--d-cpu-seconds", "24", "9", "15", "3", "6", "40",
                       "--two-poll", str(tmp_path / "poll-two.txt"),
                       "--two-owned", "48", "48", "--two-last-commits", "bench-worker-f1:48 bench-worker-f2:48"]


def test_report_with_the_core_path_two_workers_cpu_and_durability(full_args, capsys):
    assert bench_report.main(full_args) == 0
    out = capsys.readouterr().out
    assert ("PostgreSQL: durable: fsync=on, synchronous_commit=on, full_page_writes=on; pg_stat_statements loaded"
            in out)
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[3:7] == [
        # (b′): 100,000 events, COPY 1 s + chunks 3 s -> 25000 events/s; chunks alone 33333.
        "| b′ | core raw limit (applied_events + orders only, no KPI tables): COPY + 1 INSERT … SELECT per 5000 rows "
        "| **25000 events/s** (COPY 1.00 s + chunks 3.00 s; chunks alone 33333 events/s) |",
        "| c | a/b | **0.600** (against chunks alone: 0.400) |",
        # a = 10000: 10000 / 25000 and 10000 / 33333.
        "| c′ | a/b′ | **0.400** (against chunks alone: 0.300) |",
        "| d | publish→commit at 5000 events/s for 30 s (100 events) | p50 **10.0 ms**, p99 **50.0 ms**, max "
        "**80.0 ms** |",
    ]
    assert rows[-3:-1] == [
        # (60500 - 500) / (2005 - 2000) = 12000 events/s = 1.2 x a; waits in 2 of the 5 rows from the
        # first commit to the end; max 2 ungranted, max 2 waiting.
        "| f | two workers of one group (fresh database, same preload) | **12000 events/s** (1.20 × a; 5.00 s; "
        "partitions owned 48 + 48; last commits by bench-worker-f1:48 bench-worker-f2:48); lock waits in **2 of 5** "
        "0.1 s samples, max 2 ungranted locks, max 2 backends waiting on a lock |",
        # 9.5 / 12.5 = 0.76 cores, 6.25 / 12.5 = 0.5.
        "| g | CPU during a (12.50 s from the worker's start to the last apply) | worker **9.50 s** (0.76 cores), "
        "PostgreSQL **6.25 s** (0.50 cores) |",
    ]
    # Each of the (d) seconds over its 40 s: 24 / 40 = 0.60 cores, and so on.
    assert rows[-1] == (
        "| g′ | CPU during d (40.00 s from the load's start to the last apply; the rest is the load generator and "
        "the machine's other processes) | embedded broker **24.00 s (0.60 cores)**, worker **9.00 s (0.23 cores)**, "
        "PostgreSQL **15.00 s (0.38 cores)**; idle 3.00 s (0.07 cores), stolen by the host 6.00 s (0.15 cores) |")


def test_record_names_the_durability_and_the_new_rows(full_args, tmp_path, capsys):
    doc = tmp_path / "BENCHMARKS.md"
    unsafe = list(full_args)
    unsafe[unsafe.index("--postgres-settings") + 1] = "fsync=off synchronous_commit=off full_page_writes=off"
    assert bench_report.main(unsafe + ["--record", str(doc), "--postgres-version", "15.18"]) == 0
    text = doc.read_text()
    assert ("PostgreSQL 15.18 (scripts/testdb.sh; unsafe (--unsafe): fsync=off, synchronous_commit=off, "
            "full_page_writes=off; pg_stat_statements loaded)") in text
    assert "| b′ | core raw limit" in text and "| f | two workers" in text and "| g | CPU during a" in text
    assert "| g′ | CPU during d" in text


@pytest.mark.parametrize("settings, label", [
    ("fsync=on synchronous_commit=on full_page_writes=on", "durable: fsync=on, synchronous_commit=on, "
     "full_page_writes=on"),
    ("fsync=on synchronous_commit=local full_page_writes=on", "durable: fsync=on, synchronous_commit=local, "
     "full_page_writes=on"),
    ("fsync=off synchronous_commit=off full_page_writes=off", "unsafe (--unsafe): fsync=off, "
     "synchronous_commit=off, full_page_writes=off"),
    ("fsync=on synchronous_commit=off full_page_writes=on", "not durable: fsync=on, synchronous_commit=off, "
     "full_page_writes=on"),
    (None, "settings not given"),
])
def test_durability_label(settings, label):
    assert bench_report.durability(settings) == label


def test_a_two_worker_poll_that_never_ends_fails(full_args, tmp_path, capsys):
    (tmp_path / "poll-two.txt").write_text("2000.1 600 2000.0 500 0 0\n2001.1 30000 2001.0 15000 0 0\n")
    assert bench_report.main(full_args) == 1
    assert "(f): the poll" in capsys.readouterr().err


# The part of the same 100 events inside the worker: 60 under 5 ms, 30 in (5, 10], 10 in (10, 25].
INSIDE = """orderstream_fetch_to_commit_seconds_bucket{le="0.005"} 60
orderstream_fetch_to_commit_seconds_bucket{le="0.01"} 90
orderstream_fetch_to_commit_seconds_bucket{le="0.025"} 100
orderstream_fetch_to_commit_seconds_bucket{le="0.05"} 100
orderstream_fetch_to_commit_seconds_bucket{le="0.1"} 100
orderstream_fetch_to_commit_seconds_bucket{le="+Inf"} 100
orderstream_fetch_to_commit_seconds_sum 0.5
orderstream_fetch_to_commit_seconds_count 100
"""


def test_the_part_inside_the_worker_follows_publish_to_commit(run_args, tmp_path, capsys):
    (tmp_path / "metrics.txt").write_text(METRICS + INSIDE)
    assert bench_report.main(run_args) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| d")]
    # p50: rank 50, 50/60 into [0, 5] -> 4.17 ms; p99: rank 99, 9/10 into (10, 25] -> 23.5 ms.
    assert rows[2] == ("| d″ | of (d), the part inside the worker: fetch→commit (100 events; the rest is the producer, "
                       "the broker and the fetch) | p50 **4.2 ms**, p99 **23.5 ms** |")
    # A scrape without the metric (an older worker) has no such row: see the test above.
