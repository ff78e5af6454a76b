"""This machine in a line, for the provenance of runs and shipped weights."""

import os
import pathlib


def describe_machine():
    """This machine in a line: processor, CPU cores and GPU (as `nvidia-smi` names it), for recipes."""
    import platform
    import subprocess

    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20).stdout.strip().splitlines()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        gpu = []
    processor = platform.machine()
    try:  # hosts of one architecture differ much in speed (see vector_extension)
        info = {}
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
        processor += f" {info['model name']}" if info.get("model name") else ""
        processor += vector_extension(info.get("flags", "").split())
    except OSError:
        pass
    return f"{processor}, {os.cpu_count()} CPU cores, " + (f"GPU {gpu[0]}" if gpu else "no GPU")


def vector_extension(flags):
    """' (AVX-512)' or ' (AVX2)' from /proc/cpuinfo's flags: a virtual machine may name its processor
    only by make ("AMD EPYC"), and two hosts so named took 505 s and 3,174 s for one GoogLeNet CIFAR-10 epoch."""
    for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2")):
        if flag in flags:
            return f" ({name})"
    return ""
