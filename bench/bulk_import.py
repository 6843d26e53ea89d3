"""Bulk import benchmark: how fast the SNE connector streams an extraction into events, and whether its memory stays
flat as the file grows.

For each size (10,000 and 100,000 demands by default) it writes a synthetic ``interfaceNuu`` extraction into a
temporary directory (invented households, nothing committed), then, in a fresh child process per size, streams it
with ``SneConnector.iter_bulk`` and builds every record's events as a first import would (``build(None)`` →
``demande_enregistree.v1``). It reports records/s and the child's peak RSS (``resource.getrusage``), then the ratios
100k/10k: throughput should hold and peak RSS should not grow with the file.

In the same run it measures the per-record cost of the pipeline's parts (lxml parse, XSD validation, pydantic
validation of the demand) on this machine, because these machines are noisy (docs/performance.md).

With ``--through-hub`` each child runs the hub's own import instead (what ``relais import --connector sne FILE``
does: chunked fingerprint lookup, journaling in the embedded SQLite journal, in a temporary HOME), so the figures
include the journal's cost.

Usage: ``.venv/bin/python bench/bulk_import.py [--sizes 10000 100000] [--through-hub] [--keep DIR] [--json]``

``run(quick)`` gives the rows of ``python -m bench``: for each size, a raw lxml ``iterparse`` of the same file (the
floor: parse and free each ``demande``, nothing else) and the hub's import, in fresh interpreters, then the ratio of
the peak RSS of the largest to the smallest size (issue 18: within 1.2).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from hub import BulkRecord, ConnectorContext
from plugins.sne.connector import SneConnector
from plugins.sne.settings import SneSettings

def current_rss_kib():
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() // 1024
    except OSError:
        return 0

path, through_hub, raw_parse = Path(sys.argv[1]), sys.argv[2] == "hub", sys.argv[2] == "iterparse"
records = rejects = events = readers = 0
if raw_parse:
    from lxml import etree
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_start = rss_max = current_rss_kib()
    started = time.perf_counter()
    cpu_started = time.process_time()
    tag = "{http://nuu.application.i2/}demande"
    for _, element in etree.iterparse(str(path), events=("end",), tag=tag, resolve_entities=False, no_network=True):
        records += 1
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]
        if records % 1000 == 0:
            rss_max = max(rss_max, current_rss_kib())
elif through_hub:
    import tempfile, threading
    from hub.core.importer import BulkImporter
    from hub.core.plugins import PluginHost
    from hub.core.runtime import Hub
    from hub.core.logging import configure_logging
    from hub.settings import HubSettings

    configure_logging("json", "warning")   # what relais import does: one line per journaled event is for debugging
    home = tempfile.mkdtemp(prefix="relais-bench-home-")
    hub = Hub(HubSettings(home=Path(home), seed_examples=False, log_level="warning"),
              PluginHost.load(allow=["sne"]))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_start = rss_max = current_rss_kib()
    stop = threading.Event()

    def sample():
        global rss_max
        while not stop.wait(0.2):
            rss_max = max(rss_max, current_rss_kib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    from hub.core.bulk_stream import shared_readers
    with hub:
        readers = shared_readers()          # what relais import would choose now (the machine's idle cores)
        importer = BulkImporter(hub.ingestor, hub.connector("sne"), batch_size=hub.settings.batch_size,
                                readers=readers)
        result = importer.run(path)
    stop.set()
    sampler.join()
    records, rejects, events = result.records, result.rejected, result.events
else:
    connector = SneConnector(SneSettings(), ConnectorContext("sne", path.parent, path.parent, path.parent))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_start = rss_max = current_rss_kib()
    started = time.perf_counter()
    cpu_started = time.process_time()
    for item in connector.iter_bulk(path):
        if isinstance(item, BulkRecord):
            records += 1
            events += len(item.build(None))
        else:
            rejects += 1
        if (records + rejects) % 1000 == 0:
            rss_max = max(rss_max, current_rss_kib())
elapsed = time.perf_counter() - started
print(json.dumps({"records": records, "rejects": rejects, "events": events, "seconds": elapsed,
                  "cpu_seconds": time.process_time() - cpu_started,
                  "baseline_rss_kib": baseline, "rss_at_start_kib": rss_start,
                  "rss_max_sampled_kib": rss_max,
                  "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "readers": readers,
                  "reader_peak_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "reader_cpu_seconds": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
                                        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime}))
"""


def measure_child(path: Path, through_hub: bool = False, mode: str | None = None) -> dict:
    """Stream ``path`` in a fresh interpreter, so that its peak RSS is this import's alone."""
    mode = mode or ("hub" if through_hub else "connector")
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_costs(sample: Path, repeat: int = 2000) -> dict[str, float]:
    """Microseconds per record for the parts of the pipeline, measured on one record of the extraction."""
    from lxml import etree

    from contracts import Demande
    from plugins.sne.mapping import demande_to_dict
    from plugins.sne.schema import interface_schema, q

    body = sample.read_bytes()
    start = body.index(b"<ns1:demande>")
    record = body[start: body.index(b"</ns1:demande>", start) + len(b"</ns1:demande>")]
    record = record.replace(b"<ns1:demande>", b'<ns1:demande xmlns:ns1="http://nuu.application.i2/">', 1)
    schema = interface_schema()

    def per_record(action) -> float:
        started = time.perf_counter()
        for _ in range(repeat):
            action()
        return (time.perf_counter() - started) / repeat * 1e6

    element = etree.fromstring(record)
    payload = demande_to_dict(element.find(q("demandeLogement")))
    demande = Demande.model_validate(payload)
    return {
        "record_bytes": len(record),
        "lxml_parse_us": per_record(lambda: etree.fromstring(record)),
        "xsd_validate_us": per_record(lambda: schema.problems(element)),
        "xml_to_dict_us": per_record(lambda: demande_to_dict(element.find(q("demandeLogement")))),
        "pydantic_validate_us": per_record(lambda: Demande.model_validate(payload)),
        "fingerprint_us": per_record(lambda: demande.model_dump_json()),
    }


def run(quick: bool = False, sizes: list[int] | None = None) -> list[dict]:
    """Rows for ``python -m bench``: per size, raw iterparse then the hub's import of the same file."""
    from bench.common import row, sized
    from plugins.sne.synthetic import write_extraction

    sizes = sizes or sized(quick, full=[10_000, 100_000], quick=[1_000, 5_000], tiny=[50, 150])
    rows: list[dict] = []
    peaks: list[float] = []
    with tempfile.TemporaryDirectory(prefix="relais-bench-") as tmp:
        for size in sizes:
            path = Path(tmp) / f"sne-extraction-{size}.xml"
            write_extraction(path, size, seed=size)
            raw = measure_child(path, mode="iterparse")
            hub = measure_child(path, mode="hub")
            path.unlink()
            base = row(f"lxml_iterparse_{size}", _figures(raw))
            line = row(f"bulk_import_hub_{size}", _figures(hub), baseline=base, target=">= 0.12, >= 5000/s")
            # CPU seconds tell how fast each would go on a quiet machine (these are shared: wall time is noisy)
            line["note"] = (f"{hub['records']} records, {hub['events']} journaled, {hub['rejects']} rejected; CPU s: "
                            f"iterparse {raw['cpu_seconds']:.2f}, import {hub['cpu_seconds']:.2f} + "
                            f"{hub['readers']} reader(s) {hub['reader_cpu_seconds']:.2f} "
                            f"(CPU ratio {cpu_ratio(raw, hub):.3f})")
            rows += [base, line]
            peaks.append(_figures(hub)["peak_rss_mb"])
    rows[-1]["note"] += f"; peak RSS {sizes[-1]:,} / {sizes[0]:,} demands: x{peaks[-1] / peaks[0]:.2f} (target <= 1.2)"
    return rows


def cpu_ratio(raw: dict, hub: dict, cores: int = 2) -> float:
    """The ratio the import would reach on ``cores`` free cores, from CPU seconds: its wall time is then at least the
    busiest process's CPU (the journaling one, or a reader: the readers share the reading evenly) and at least the
    whole CPU spread over the cores."""
    readers = max(hub.get("readers", 1), 1)
    bound = max(hub["cpu_seconds"], hub["reader_cpu_seconds"] / readers,
                (hub["cpu_seconds"] + hub["reader_cpu_seconds"]) / cores)
    return raw["cpu_seconds"] / bound


def _figures(run: dict) -> dict:
    """The journaling process's peak plus, when other processes read the file, each reader's counted as the
    largest one's (``ru_maxrss`` of the children is the largest, not their sum; and forks: a reader's peak counts
    the pages it shares with the parent too, so the sum overstates what the import costs)."""
    readers = max(run.get("readers", 1), 1)
    return {"events_per_s": run["records"] / run["seconds"],
            "peak_rss_mb": (run["peak_rss_kib"] + readers * run.get("reader_peak_rss_kib", 0)) / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--through-hub", action="store_true",
                        help="measure the hub's own import (journal included) instead of the connector alone")
    parser.add_argument("--keep", type=Path, help="write the extractions here instead of a temporary directory")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    from plugins.sne.synthetic import write_extraction

    with tempfile.TemporaryDirectory(prefix="relais-bench-") as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        results = []
        for size in args.sizes:
            path = directory / f"sne-extraction-{size}.xml"
            started = time.perf_counter()
            write_extraction(path, size, seed=size)
            generated = time.perf_counter() - started
            run = measure_child(path, args.through_hub)
            run.update(size=size, mode="hub import" if args.through_hub else "iter_bulk + build",
                       file_mib=path.stat().st_size / 2**20, generation_seconds=generated,
                       records_per_second=run["records"] / run["seconds"])
            results.append(run)
        parts = part_costs(directory / f"sne-extraction-{args.sizes[0]}.xml")
    report = {"runs": results, "parts_us": parts,
              "bench_process_peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    if len(results) >= 2:
        small, large = results[0], results[-1]
        report["ratios"] = {
            "size": large["size"] / small["size"],
            "records_per_second": large["records_per_second"] / small["records_per_second"],
            "peak_rss": large["peak_rss_kib"] / small["peak_rss_kib"],
            "rss_growth_during_import_kib": [run["rss_max_sampled_kib"] - run["rss_at_start_kib"]
                                             for run in (small, large)],
        }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0


def _print(report: dict) -> None:
    print(f"mode: {report['runs'][0]['mode']}")
    print(f"{'demands':>9} {'file MiB':>9} {'records/s':>10} {'cpu s':>7} {'wall s':>7} {'peak RSS MiB':>13} "
          f"{'RSS growth MiB':>15} {'rejects':>8}")
    for run in report["runs"]:
        growth = (run["rss_max_sampled_kib"] - run["rss_at_start_kib"]) / 1024
        print(f"{run['size']:>9} {run['file_mib']:>9.1f} {run['records_per_second']:>10.0f} "
              f"{run['cpu_seconds']:>7.1f} {run['seconds']:>7.1f} {run['peak_rss_kib'] / 1024:>13.1f} "
              f"{growth:>15.1f} {run['rejects']:>8}")
    if "ratios" in report:
        r = report["ratios"]
        small, large = r["rss_growth_during_import_kib"]
        print(f"ratios {r['size']:g}x demands: records/s x{r['records_per_second']:.2f}, "
              f"peak RSS x{r['peak_rss']:.2f} (RSS growth during the import: {small} KiB vs {large} KiB)")
    parts = report["parts_us"]
    print("per-record parts, µs (same run): " + ", ".join(
        f"{k.removesuffix('_us')} {v:.0f}" for k, v in parts.items() if k.endswith("_us"))
        + f" (record {parts['record_bytes']} bytes)")


if __name__ == "__main__":
    raise SystemExit(main())
