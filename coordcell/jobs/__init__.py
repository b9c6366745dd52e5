"""Background-job workers: their heartbeats, and recovery of the jobs of a worker that died."""
