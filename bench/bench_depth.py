"""The depth network alone at 256×192 on 2 threads, in each runtime this Python has, idle and with a core busy.

Runtimes: the shipped ONNX export in OpenCV's DNN module (what the add-on runs), the same file in onnxruntime
(when installed), and the torch reference (when installed: the development venv). "one core busy" runs a
pure-Python busy loop in another process meanwhile, as Blender or a render would. Prints a Markdown table,
median and minimum of 20 warm runs; no assertions.

    .venv/bin/python bench/bench_depth.py
"""

import importlib.util
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from portrait3d_blender.core import depth  # noqa: E402

THREADS = 2
REPEATS = 20
SIZE = depth.NETWORK_SIZE_PORTRAIT
MODEL = depth.default_model_dir() / depth.model_file_name(SIZE)


def opencv_runner():
    import cv2

    cv2.setNumThreads(THREADS)
    return depth.load_model(MODEL, SIZE)


def onnxruntime_runner():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = THREADS, 1
    # Without this its worker threads spin between calls, which costs most when the cores are busy.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(str(MODEL), options, providers=["CPUExecutionProvider"])
    return lambda batch: session.run(None, {depth.INPUT_NAME: batch})[0]


def torch_runner():
    import torch

    from models.unet import load_checkpoint, numpy_network

    torch.set_num_threads(THREADS)
    return numpy_network(load_checkpoint(REPO / "models" / "portrait_depth.pt"))


RUNTIMES = {
    "OpenCV DNN (shipped)": ("cv2", opencv_runner),
    "onnxruntime": ("onnxruntime", onnxruntime_runner),
    "torch reference": ("torch", torch_runner),
}


def _busy_loop(stop):
    while not stop.is_set():
        pass


def timings(run, batch):
    run(batch)  # warm-up: buffers, thread pool
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run(batch)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000.0, min(samples) * 1000.0


def main():
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # torch's threads: spinning costs 30× on busy cores
    batch = depth.probe_input(SIZE)
    reference = None
    print(f"| runtime | idle: median / min ms | one core busy: median / min ms | max difference |")
    print("|---|---:|---:|---:|")
    for name, (module, make_runner) in RUNTIMES.items():
        if importlib.util.find_spec(module) is None:
            print(f"| {name} | not installed | | |")
            continue
        run = make_runner()
        output = run(batch)
        reference = output if reference is None else reference
        difference = float(np.abs(output - reference).max() / np.ptp(reference))
        idle = timings(run, batch)
        stop = multiprocessing.Event()
        busy = multiprocessing.Process(target=_busy_loop, args=(stop,))
        busy.start()
        try:
            loaded = timings(run, batch)
        finally:
            stop.set()
            busy.join()
        print(f"| {name} | {idle[0]:.1f} / {idle[1]:.1f} | {loaded[0]:.1f} / {loaded[1]:.1f} | {difference:.1e} |")
    print(f"\n{SIZE[0]}×{SIZE[1]}, {THREADS} threads, {os.cpu_count()} CPUs, median of {REPEATS}; "
          "max difference: of the range, against the first row")


if __name__ == "__main__":
    main()
