"""Models a service lists must fit where it runs them: its memory limit plus the GPU memory it
declares (Ollama refuses, or crawls on the CPU, with a model larger than both)."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog.checks.context import Context
from generator.diagnostics import Diagnostic
from generator.units import memory_bytes, zfs_bytes

GIB = 1024**3


def check_models_fit(context: Context) -> Iterator[Diagnostic]:
    for service in context.catalog.services.values():
        gpu = service.gpu.nvidia.memory if service.gpu and service.gpu.nvidia else None
        room = memory_bytes(service.limits.memory) + (memory_bytes(gpu) if gpu else 0)
        for index, model in enumerate(service.models):
            size = zfs_bytes(model.size) if model.size else None
            if size is not None and size > room:
                where = f"its memory limit {service.limits.memory}" + (
                    f" plus {gpu} of GPU memory" if gpu else ""
                )
                message = (
                    f"{model.model} needs about {model.size} but the service has {where} "
                    f"({room / GIB:.0f} GiB): raise resources.limits.memory"
                    + ("" if gpu else " or declare gpu.nvidia.memory")
                    + ", or list a smaller model"
                )
                yield context.at("service", service.id, ["models", index, "size"], message)


CHECKS = (check_models_fit,)
