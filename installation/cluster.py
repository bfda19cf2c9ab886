"""Analysing archived pairs on a Ray cluster: one actor per GPU (or per N CPU cores), each
holding its CLIP once, fed batches of pairs; results go back to the driver, which alone
writes to the archive (see `dreamdraw.installation.reanalysis`).

Ray is an optional extra (`pip install 'dreamdraw[cluster]'`) and is imported here only,
inside functions, so no command pays for it at start-up.
"""

from __future__ import annotations

import collections
import itertools
import os
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dreamdraw.installation.errors import ClusterError
from dreamdraw.installation.reanalysis import PairJob, PairResult, analyse_job
from dreamdraw.installation.study import DrawJob, draw_job

if TYPE_CHECKING:
    from dreamdraw.analysis import AnalysisSettings

__all__ = ["ClusterError", "RayEngine", "RaySettings"]

# A pair is given up (recorded as failed) after its worker was lost this many times with it.
MAX_LOSSES_PER_PAIR = 3
# Batches kept in flight per worker, so a worker never waits for the driver between batches.
BATCHES_IN_FLIGHT = 2


@dataclass
class RaySettings:
    """Where and how to run: `address` is "local" (a cluster on this machine, started and
    stopped with the job) or a running cluster's address ("auto", "HOST:6379", "ray://HOST:10001").

    workers: actors to start (default: one per GPU when the analysis device is not the CPU and
    the cluster has GPUs, else one per `cpus_per_worker` CPU cores); batch_size: pairs per call.
    """

    address: str = "local"
    workers: int | None = None
    cpus_per_worker: int = 1
    batch_size: int = 4
    max_restarts: int = 3


class PairAnalyser:
    """The work of one Ray actor: loads CLIP once, then analyses batches of pairs."""

    def __init__(self, settings: AnalysisSettings, cache_dir: str | None) -> None:
        from dreamdraw.drawing import load_clip, resolve_device

        self.settings = settings
        self.clip = load_clip(
            settings.clip, settings.clip_checkpoint, resolve_device(settings.device), cache_dir
        )

    def pid(self) -> int:
        """The worker's process id (tests kill it)."""
        return os.getpid()

    def analyse(self, batch: list[PairJob]) -> list[PairResult]:
        """Analyse each pair of the batch; an unexpected error fails that pair, not the batch."""
        results = []
        for job in batch:
            try:
                results.append(analyse_job(job, self.clip, self.settings))
            except Exception as exc:  # a stray bug must not cost a long job its other pairs
                message = " ".join(f"{type(exc).__name__}: {exc}".split())
                results.append(PairResult(job.id, error=message))
        return results


class RayEngine:
    """Runs `analyse_job` on a Ray cluster; use as a context manager (connects and starts the
    actors on entry, stops them on exit, and stops a "local" cluster it started)."""

    def __init__(
        self,
        settings: AnalysisSettings,
        ray_settings: RaySettings | None = None,
        cache_dir: str | Path | None = None,
    ) -> None:
        self.settings = settings
        self.ray_settings = ray_settings or RaySettings()
        self.cache_dir = str(cache_dir) if cache_dir else None
        self.actors: list[Any] = []
        self.lost_workers = 0
        self.batches_sent: list[int] = []  # per worker, since the actors started
        self._started_ray = False

    def __enter__(self) -> RayEngine:
        ray = _import_ray()
        if not ray.is_initialized():
            address = self.ray_settings.address  # "local" starts a new cluster here
            _require_listener(address)
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    logging_level="WARNING",
                    log_to_driver=False,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = "this machine" if address == "local" else address
                token = (
                    ""
                    if address == "local"
                    else " (a cluster with token authentication, Ray's default, also needs "
                    "RAY_AUTH_MODE=token and its token here)"
                )
                raise ClusterError(
                    f"cannot start or reach the Ray cluster at {where}: {_one_line(exc)}; "
                    f"start one with `ray start --head` or use --ray local{token}"
                ) from None
            self._started_ray = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_actors()
        if self._started_ray:
            _import_ray().shutdown()

    def _stop_actors(self) -> None:
        ray = _import_ray()
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []

    def _start_actors(self) -> None:
        """Starts the analysing actors on first use (so drawing tasks run before them)."""
        if self.actors:
            return
        ray = _import_ray()
        rs = self.ray_settings
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        on_gpu = self.settings.device != "cpu" and gpus > 0
        count = rs.workers or (
            gpus if on_gpu else int(resources.get("CPU", 1)) // rs.cpus_per_worker
        )
        actor_class = ray.remote(PairAnalyser).options(
            num_gpus=1 if on_gpu else 0,
            num_cpus=rs.cpus_per_worker,
            max_restarts=rs.max_restarts,
            max_task_retries=0,  # the driver resends a lost batch, pair by pair
        )
        self.actors = [
            actor_class.remote(self.settings, self.cache_dir) for _ in range(max(1, count))
        ]
        self.batches_sent = [0] * len(self.actors)

    def worker_pids(self) -> list[int]:
        """The process id of each worker, in actor order (waits until they have started)."""
        ray = _import_ray()
        self._start_actors()
        return ray.get([actor.pid.remote() for actor in self.actors])

    def map_unordered(self, jobs: Iterable[PairJob]) -> Iterator[PairResult]:
        """Send the jobs in batches to the workers and yield each result as its batch returns.

        A batch whose worker was lost is sent again pair by pair (the actor restarts, or another
        takes it); a pair lost with its worker `MAX_LOSSES_PER_PAIR` times is a failed result.
        """
        ray = _import_ray()
        from ray.exceptions import RayActorError, WorkerCrashedError

        if not ray.is_initialized():
            raise ClusterError("the Ray engine is not started; use it as a context manager")
        self._start_actors()
        waiting = iter(jobs)
        retries: collections.deque[tuple[list[PairJob], int]] = collections.deque()
        in_flight: dict[Any, tuple[int, list[PairJob], int]] = {}
        load = [0] * len(self.actors)
        losses = [0] * len(self.actors)
        available = [True] * len(self.actors)
        pings: dict[Any, int] = {}
        exhausted = False

        def next_batch() -> tuple[list[PairJob], int] | None:
            nonlocal exhausted
            if retries:
                return retries.popleft()
            if exhausted:
                return None
            batch = list(itertools.islice(waiting, self.ray_settings.batch_size))
            if len(batch) < self.ray_settings.batch_size:
                exhausted = True
            return (batch, 0) if batch else None

        while True:
            # One batch at a time to the least loaded worker, so every worker gets work
            # before any gets a second batch.
            while (index := self._least_loaded(load, available)) >= 0:
                item = next_batch()
                if item is None:
                    break
                batch, lost = item
                ref = self.actors[index].analyse.remote(batch)
                in_flight[ref] = (index, batch, lost)
                load[index] += 1
                self.batches_sent[index] += 1
            if not in_flight and not pings:
                if retries or not exhausted:
                    raise ClusterError("every Ray worker was lost; see the Ray logs (ray status)")
                return
            ready, _ = ray.wait([*in_flight, *pings], num_returns=1)
            for ref in ready:
                if ref in pings:  # a lost worker answers again once Ray has restarted it
                    index = pings.pop(ref)
                    try:
                        ray.get(ref)
                        available[index] = True
                    except (RayActorError, WorkerCrashedError):
                        self._ping_unless_gone(index, losses, pings)
                    continue
                index, batch, lost = in_flight.pop(ref)
                load[index] -= 1
                try:
                    results = ray.get(ref)
                except (RayActorError, WorkerCrashedError):
                    self.lost_workers += 1
                    if available[index]:
                        available[index] = False
                        losses[index] += 1
                        self._ping_unless_gone(index, losses, pings)
                    for job in batch:
                        if lost + 1 >= MAX_LOSSES_PER_PAIR:
                            yield PairResult(
                                job.id,
                                error=f"its Ray worker was lost {lost + 1} times analysing it",
                            )
                        else:
                            retries.append(([job], lost + 1))
                    continue
                yield from results

    @staticmethod
    def _least_loaded(load: list[int], available: list[bool]) -> int:
        """The available worker with the fewest batches in flight (below the cap), or -1."""
        free = [i for i, n in enumerate(load) if available[i] and n < BATCHES_IN_FLIGHT]
        return min(free, key=load.__getitem__, default=-1)

    def draw_unordered(self, jobs: Iterable[DrawJob]) -> Iterator[tuple[DrawJob, str]]:
        """Draw each job as a Ray task (retried on another worker when its worker is lost)
        and yield (job, drawing JSON) as each finishes. The analysing actors are stopped first,
        so drawing has the whole cluster; they start again for the next analysis."""
        ray = _import_ray()
        self._stop_actors()
        gpus = int(ray.cluster_resources().get("GPU", 0))
        refs = {}
        for job in jobs:
            task = ray.remote(draw_job).options(
                num_cpus=self.ray_settings.cpus_per_worker,
                num_gpus=1 if job.settings.device != "cpu" and gpus > 0 else 0,
                max_retries=MAX_LOSSES_PER_PAIR,
            )
            refs[task.remote(job)] = job
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                yield refs.pop(ref), ray.get(ref)

    def _ping_unless_gone(self, index: int, losses: list[int], pings: dict[Any, int]) -> None:
        """Asks a lost worker for its pid (answered once it has restarted), unless Ray has
        restarted it as often as allowed."""
        if losses[index] <= self.ray_settings.max_restarts:
            ping = self.actors[index].pid.options(max_task_retries=-1).remote()
            pings[ping] = index


def _require_listener(address: str) -> None:
    """A ClusterError at once when nothing listens at a HOST:PORT (or ray://HOST:PORT)
    address: Ray itself retries such an address for minutes before it gives up."""
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not port.isdigit():
        return  # "local", "auto": Ray finds (or starts) the cluster itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ClusterError(
            f"no Ray cluster answers at {address} ({reason}); start one there with "
            f"`ray start --head --port {port}`, or use --ray local"
        ) from None


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ClusterError(
            "Ray is not installed; install the cluster extra: pip install 'dreamdraw[cluster]'"
        ) from None
    return ray


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
