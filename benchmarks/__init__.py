"""`make bench`: what a step of the real grant round costs, against SpiffWorkflow's own floor.

Run `python -m benchmarks [--quick]`; `benchmarks.run` says what is measured and how.
"""
