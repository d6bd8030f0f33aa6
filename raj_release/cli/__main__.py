"""`python -m raj_release.cli`: the `raj` command (the tests and the benchmarks run it so)."""

from raj_release.cli import main

main()
