"""Imported by the batch's fork server (grader.batch.PRELOAD) to read MNIST once, before any
grading process is forked from it: they all then share that one copy of the images (pages nobody
writes stay shared) instead of each holding its own, which is most of a grading process's memory.
If MNIST cannot be read, the reason is kept and each report's MNIST check says it."""

from grader.checks.plugin import preload_mnist

preload_mnist()
