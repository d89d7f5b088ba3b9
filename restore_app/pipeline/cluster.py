"""The batch on a Ray cluster: the same per-image step, on many machines.

Ray is imported only here, and only when ``--engine ray`` asks for it (the
optional ``cluster`` extra). The driver plans the batch as the local engine
does (skips, masks, the lock on the output folder); each image's step runs as a
Ray task on a worker process, which keeps the models it loaded for the next
images. Every node must see the input and output folders at the same paths (a
shared file system). A task whose worker dies is retried on another (twice),
then reported failed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from restore_app.core.errors import RestoreError
from restore_app.pipeline.folder import BatchItem, Work, process


class ClusterError(RestoreError):
    """The cluster could not be reached or used."""


def _process(work: Work) -> BatchItem:
    return process(work)


def ray_engine(
    address: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float | None = None,
):
    """An engine for :func:`restore_app.pipeline.folder.run_batch` on Ray: connects
    to ``address`` (a running cluster) or starts a local one for the run."""
    # Offline and quiet: no usage statistics, no dashboard, no worker logs on
    # the terminal (a failure arrives as the image's one-line reason).
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise ClusterError(
            "--engine ray needs Ray: pip install 'restore-app[cluster]'"
        ) from None

    def engine(works: Iterable[Work]) -> Iterator[BatchItem]:
        started = not ray.is_initialized()
        if started:
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
            except Exception as exc:  # noqa: BLE001 - one line for the person
                raise ClusterError(f"cannot use the Ray cluster: {exc}") from None
        try:
            yield from _run(ray, works, workers, gpus_per_worker)
        finally:
            if started:
                ray.shutdown()

    return engine


def _run(ray: Any, works: Iterable[Work], workers, gpus) -> Iterator[BatchItem]:
    resources = ray.cluster_resources()
    cluster_gpus = float(resources.get("GPU", 0))
    per_worker_gpus = gpus if gpus is not None else (1.0 if cluster_gpus else 0.0)
    if workers:
        slots = int(workers)
    elif per_worker_gpus:
        slots = max(1, int(cluster_gpus / per_worker_gpus))
    else:
        slots = max(1, int(resources.get("CPU", 1)))
    task = ray.remote(num_cpus=1, num_gpus=per_worker_gpus, max_retries=2)(_process)
    pending: dict[Any, Work] = {}
    queue = iter(works)
    # A window of tasks in flight: the file list is handed out as workers free.
    for work in queue:
        pending[task.remote(work)] = work
        if len(pending) >= 2 * slots:
            break
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        ref = done[0]
        work = pending.pop(ref)
        try:
            yield ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - a worker that died, after retries
            name = type(exc).__name__
            yield BatchItem(work.source, work.output, "failed", f"worker lost ({name})")
        nxt = next(queue, None)
        if nxt is not None:
            pending[task.remote(nxt)] = nxt
