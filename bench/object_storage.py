"""Bench: the files source with the lakehouse on a local S3 server (SeaweedFS, 127.0.0.1) beside a local disk.

(a) Parquet files → Delta, end to end, three ways in one run: landing and lakehouse on the local disk; both on S3;
    and the plain path on S3 — reading the same objects into Arrow with pyarrow's S3 filesystem (the least any
    ingest from S3 must do). Ratios: S3 ingest / local ingest, S3 ingest / raw S3 read.
(b) A no-op rerun over `--noop-objects` objects already ingested (target <= 1 s): one listing of the prefix (1,000
    keys per request) and one ledger lookup per key, nothing downloaded.
Run: `.venv/bin/python bench/object_storage.py [--files 40] [--rows 25000] [--noop-objects 100000] [--repeat 3]`.
Times are the best of `--repeat` runs, each ingest into a fresh table and checkpoint.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.files_to_delta import claims_frame
from tests.storage.s3server import BUCKET, SeaweedS3


def parquet_bytes(rows: int, seed: int) -> bytes:
    buf = io.BytesIO()
    pq.write_table(claims_frame(rows, seed).to_arrow(), buf)
    return buf.getvalue()


def ingest(root: str | Path, landing: str, fmt: str = "parquet", **options: object) -> tuple[float, int]:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.sources.files.runner import ingest_files

    lh = Lakehouse(root)
    lh.create_schema("main.bench", if_not_exists=True)
    name = f"main.bench.t_{uuid.uuid4().hex[:8]}"
    checkpoint = lh.state_dir / "checkpoints" / name
    start = time.perf_counter()
    summary = ingest_files(name, path=landing, checkpoint=checkpoint, lakehouse=lh, format=fmt, **options)
    return time.perf_counter() - start, summary.stats.rows


def raw_read(urls: list[str]) -> tuple[float, int]:
    """The plain path: the same objects into Arrow through pyarrow's S3 filesystem, on every core."""
    from lakeloader.lakehouse import delta

    start = time.perf_counter()
    rows = delta.files_dataset(urls).to_table().num_rows
    return time.perf_counter() - start, rows


def put_all(objects: dict[str, bytes]) -> None:
    from lakeloader.lakehouse import storage

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda item: storage.ObjectPath(item[0]).write_bytes(item[1]), objects.items()))


def files_bench(work: Path, files: int, rows: int, repeat: int) -> None:
    data = {f"part-{i:04d}.parquet": parquet_bytes(rows, i) for i in range(files)}
    local_landing = work / "landing"
    local_landing.mkdir()
    for name, blob in data.items():
        (local_landing / name).write_bytes(blob)
    s3_landing = f"s3://{BUCKET}/landing"
    put_all({f"{s3_landing}/{name}": blob for name, blob in data.items()})
    size = sum(len(b) for b in data.values()) / 1e6
    best = {"local": float("inf"), "s3": float("inf"), "raw": float("inf")}
    counted: dict[str, int] = {}
    for _ in range(repeat):  # interleaved, so a busy moment of the machine hits all three alike
        for label in best:
            if label == "local":
                seconds, n = ingest(work / "lakehouse", str(local_landing))
            elif label == "s3":
                seconds, n = ingest(f"s3://{BUCKET}/lakehouse", s3_landing)
            else:
                seconds, n = raw_read([f"{s3_landing}/{name}" for name in data])
            best[label] = min(best[label], seconds)
            counted[label] = n
    assert len(set(counted.values())) == 1, counted
    total = counted["s3"]
    print(f"(a) {files} Parquet files, {total:,} rows, {size:.0f} MB; best of {repeat}; {os.cpu_count()} cores")
    print(f"    local disk → local lakehouse   {best['local']:6.2f} s  {size / best['local']:6.1f} MB/s")
    print(f"    S3 → lakehouse on S3           {best['s3']:6.2f} s  {size / best['s3']:6.1f} MB/s  "
          f"{best['s3'] / best['local']:.2f}x the local disk")  # fmt: skip
    print(f"    S3 → Arrow (raw read, plain)   {best['raw']:6.2f} s  {size / best['raw']:6.1f} MB/s  "
          f"ingest {best['s3'] / best['raw']:.2f}x the raw read")  # fmt: skip


def noop_bench(objects: int) -> None:
    prefix = f"s3://{BUCKET}/tiny"
    start = time.perf_counter()
    put_all({f"{prefix}/d{i // 1000:03d}/f{i % 1000:04d}.txt": f"{i}\n".encode() for i in range(objects)})
    uploaded = time.perf_counter() - start
    root = f"s3://{BUCKET}/noop-lakehouse"
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.sources.files.runner import ingest_files

    lh = Lakehouse(root)
    lh.create_schema("main.bench", if_not_exists=True)
    checkpoint = f"{root}/_checkpoints/tiny"
    start = time.perf_counter()
    first = ingest_files("main.bench.tiny", path=prefix, checkpoint=checkpoint, lakehouse=lh, format="text",
                         maxFilesPerTrigger=25_000)  # fmt: skip
    first_s = time.perf_counter() - start
    best, raw = float("inf"), float("inf")
    for _ in range(3):
        start = time.perf_counter()
        again = ingest_files("main.bench.tiny", path=prefix, checkpoint=checkpoint, lakehouse=lh, format="text")
        best = min(best, time.perf_counter() - start)
        assert again.stats.files == 0, again
        raw = min(raw, raw_listing(prefix))
    print(f"(b) no-op rerun over {first.stats.files:,} ingested objects on S3 (checkpoint on S3 too): {best:.3f} s "
          f"(target <= 1 s); the plain path, listing the keys with obstore, 16 folders at a time: {raw:.3f} s, "
          f"{best / raw:.2f}x (uploading them took {uploaded:.0f} s, the first ingest {first_s:.0f} s)")  # fmt: skip
    incremental = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        again = ingest_files("main.bench.tiny", path=prefix, checkpoint=checkpoint, lakehouse=lh, format="text",
                             useIncrementalListing="true")  # fmt: skip
        incremental = min(incremental, time.perf_counter() - start)
        assert again.stats.files == 0, again
    print(f"(b') the same with useIncrementalListing=true (a listing from the last key seen): {incremental:.3f} s")


def raw_listing(prefix: str) -> float:
    """The least a rerun must do: list every key (its folders in parallel), nothing else."""
    import obstore

    from lakeloader.lakehouse import storage

    where = storage.ObjectPath(prefix)
    start = time.perf_counter()
    top = obstore.list_with_delimiter(storage.store(where), prefix=f"{where.key}/")
    with ThreadPoolExecutor(16) as pool:
        counts = pool.map(lambda p: sum(page.num_rows for page in obstore.list(storage.store(where), prefix=p,
                                                                            chunk_size=1000, return_arrow=True)),
                          list(top["common_prefixes"]))  # fmt: skip
        sum(counts)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--rows", type=int, default=25_000)
    parser.add_argument("--noop-objects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lakeloader-bench-s3-") as tmp:
        work = Path(tmp)
        server = SeaweedS3(work / "seaweedfs").start()
        try:
            os.environ.update(server.env())
            os.environ["LAKELOADER_STATE_HOME"] = str(work / "state-home")
            if args.files:
                files_bench(work, args.files, args.rows, args.repeat)
            if args.noop_objects:
                noop_bench(args.noop_objects)
        finally:
            server.stop()


if __name__ == "__main__":
    pa.set_cpu_count(os.cpu_count() or 2)
    main()
