"""Imported by the batch's fork server (grader.batch.PRELOAD) to read MNIST once, before any
grading process is forked from it: they all then share that one copy of the images (pages nobody
writes stay shared) instead of each holding its own, which is most of a grading process's memory.
The reading started in grader.batch.mnist_reading, first of the preloads; this, the last, waits
for it. If MNIST cannot be read, the reason is kept and each report's MNIST check says it.

Meanwhile the server collects the hidden suites (scoring.collect_suites, 0.13 s), so that every
grading process forked from it has them collected, as a fork inherits any other import, instead of
collecting them while its first submission waits.

The server also makes itself undumpable, as every grading process is (hide_own_memory): no
worker of the grader's own user can then write into the process later grading processes are
forked from."""

from grader.batch import mnist_reading
from grader.checks.plugin import preload_mnist
from grader.checks.scoring import collect_suites
from grader.sandbox.connection import hide_own_memory

hide_own_memory()

collect_suites()
mnist_reading.reader.join()
preload_mnist(mnist_reading.loaded[0] if mnist_reading.loaded else None)
