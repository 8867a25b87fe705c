"""Platform benchmarks (`make bench`): relay throughput, commit → consumer latency,
idle relay CPU, each beside a raw FastStream baseline on the same broker."""
